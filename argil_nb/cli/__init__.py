"""The ``argil-nb`` command: ``commands`` (the parser and one function per subcommand),
``terminal`` (the live table of ``watch`` and ``demo``), ``demo`` (the tour) and ``lab``
(the notebooks copied into a folder, a sandbox and JupyterLab)."""

from .commands import main

__all__ = ["main"]
