"""Bulk uploads: ``create_assets``, each row exactly once, at the write limit, resumable.

``create`` runs one call (the rows POSTed, lost answers looked for, the result frame);
``rows`` holds the upload rules (url, name, type), also asked by ``Client.create_asset``;
``journal`` the append-only file that makes a batch resumable; ``reconcile`` the search
for uploads whose answer was lost (the server's clock, a listing back to a time).
"""

from .create import MAX_POSTS, URL_COLUMN, UploadClient, create_assets
from .journal import read_journal, summary

__all__ = [
    "MAX_POSTS",
    "URL_COLUMN",
    "UploadClient",
    "create_assets",
    "read_journal",
    "summary",
]
