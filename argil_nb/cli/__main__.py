"""``python -m argil_nb.cli``: the ``argil-nb`` command."""

from .commands import main

raise SystemExit(main())
