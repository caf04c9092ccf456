"""argil_nb: the Argil assets API from Jupyter.

Fetch assets into pandas DataFrames, watch uploads process in a live ipywidgets panel,
export status tables to CSV losslessly, and run it all offline against an embedded sandbox.
Importing the package does no I/O.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

from ._default import connect, default_client, use
from .client import Client
from .csvio import read_csv, to_csv
from .display import register_formatter, show
from .errors import (
    APIConnectionError,
    APIError,
    ArgilError,
    ArgilWarning,
    AssetNotFound,
    AuthenticationError,
    BatchError,
    IncompleteListing,
    InvalidArgument,
    InvalidAssetId,
    InvalidResponse,
    JournalError,
    RateLimitError,
    ServerError,
    WaitTimeout,
)
from .frames import assets_frame
from .models import FAILED, PROCESSING, READY, Asset

if TYPE_CHECKING:
    import pandas as pd

    from .panel import StatusPanel

__version__ = "0.1.0"

# A library logs, the application decides where it goes: without this, Python's last-resort
# handler would print our warnings to stderr, even from the panel's background thread.
logging.getLogger("argil_nb").addHandler(logging.NullHandler())
register_formatter()  # Assets as cards in a running kernel (models itself draws nothing)

__all__ = [
    "FAILED",
    "PROCESSING",
    "READY",
    "APIConnectionError",
    "APIError",
    "ArgilError",
    "ArgilWarning",
    "Asset",
    "AssetNotFound",
    "AuthenticationError",
    "BatchError",
    "Client",
    "IncompleteListing",
    "InvalidArgument",
    "InvalidAssetId",
    "InvalidResponse",
    "JournalError",
    "RateLimitError",
    "ServerError",
    "StatusPanel",
    "WaitTimeout",
    "__version__",
    "assets_frame",
    "connect",
    "create_assets",
    "get_asset",
    "get_assets",
    "list_assets",
    "read_csv",
    "show",
    "to_csv",
    "use",
    "wait",
    "watch",
]


def _on_the_default_client(method: Any) -> Any:
    """Give a module-level helper the docstring of the Client method it calls: Shift-Tab on
    ``an.get_assets`` shows the whole of ``Client.get_assets``'s."""

    def decorate(helper: Any) -> Any:
        helper.__doc__ = (
            f"``Client.{method.__name__}`` on the default client: the latest one "
            ":func:`connect` made, or :func:`use`'s.\n\n" + inspect.cleandoc(method.__doc__)
        )
        return helper

    return decorate


@_on_the_default_client(Client.get_asset)
def get_asset(asset_id: object) -> Asset:
    return default_client().get_asset(asset_id)


@_on_the_default_client(Client.get_assets)
def get_assets(ids: Any, *, errors: str = "raise", progress: bool | None = None) -> pd.DataFrame:
    return default_client().get_assets(ids, errors=errors, progress=progress)


@_on_the_default_client(Client.list_assets)
def list_assets(
    *, type: Any = None, status: Any = None, progress: bool | None = None
) -> pd.DataFrame:
    return default_client().list_assets(type=type, status=status, progress=progress)


@_on_the_default_client(Client.create_assets)
def create_assets(
    items: Any, *, journal: Any = None, errors: str = "raise", progress: bool | None = None
) -> pd.DataFrame:
    return default_client().create_assets(items, journal=journal, errors=errors, progress=progress)


@_on_the_default_client(Client.wait)
def wait(ids: Any, *, timeout: float = 600, progress: bool | None = None) -> pd.DataFrame:
    return default_client().wait(ids, timeout=timeout, progress=progress)


def watch(
    ids_or_frame: Any, *, client: Client | None = None, interval: float = 2.0, **options: Any
) -> StatusPanel:
    """A live :class:`StatusPanel` over these assets, polling every ``interval`` seconds.

    Show it as a cell's last expression (JupyterLab, Notebook 7, VS Code, Colab, and marimo,
    where it is a ``mo.ui.anywidget``). It polls in a background thread until every asset
    is READY, FAILED or not found, and then leaves a saved view in the notebook.

    Parameters
    ----------
    ids_or_frame
        Asset ids (a list or Series), or a frame with an ``id`` column.
    client
        The client to poll with; the default client (:func:`connect`) when None.
    interval
        Seconds between polls.
    **options
        Passed to :class:`StatusPanel` (``page_size``, ``layout``, ``export_path``,
        ``notify``, ...).

    Returns
    -------
    StatusPanel
        The panel, already polling: ``panel.frame``, ``panel.history``,
        ``panel.on_change(callback)``, ``panel.refresh()``, ``panel.stop()``,
        ``panel.close()``.

    Raises
    ------
    InvalidAssetId, InvalidArgument
        Before any request, for a bad id, no id, or a bad option (``interval`` must be
        > 0: the panel never floods the API).

    Examples
    --------
    >>> panel = an.watch(ids)  # doctest: +SKIP
    >>> panel                  # doctest: +SKIP
    """
    from .panel import StatusPanel

    panel = StatusPanel(
        ids_or_frame, client=client or default_client(), interval=interval, **options
    )
    panel.start()
    return panel


def __getattr__(name: str) -> Any:
    if name == "StatusPanel":  # imported lazily: ipywidgets and anywidget are slow to import
        from .panel import StatusPanel

        return StatusPanel
    raise AttributeError(f"module 'argil_nb' has no attribute {name!r}")
