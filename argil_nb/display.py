"""``show(frame)``: a status table as HTML, with thumbnails and status badges.

Every value is HTML-escaped and cut to ``MAX_TEXT`` characters, at most ``max_rows`` rows
are rendered, and only http(s) thumbnail URLs become images: the markup stays small and
inert whatever the data. It holds no generated ids or timestamps, so a notebook's saved
output is stable for nbval.
"""

from __future__ import annotations

import pandas as pd

from ._checks import check_int
from ._html import badge, clip, esc, thumbnail
from .errors import InvalidArgument

__all__ = ["Table", "show"]

_TEXT_COLUMNS = ("name", "type", "id", "created_at")


class Table:
    """A frame to display: ``_repr_html_`` in notebooks, the plain frame elsewhere."""

    def __init__(self, frame: pd.DataFrame, max_rows: int = 50) -> None:
        self.frame = frame
        self.max_rows = max_rows

    def __repr__(self) -> str:
        return repr(self.frame)

    def _repr_html_(self) -> str:
        frame = self.frame
        extra = [
            c
            for c in frame.columns
            if c not in (*_TEXT_COLUMNS, "status", "thumbnail_url", "file_url")
        ]
        head = "".join(
            f"<th>{clip(c)}</th>"
            for c in ("thumbnail", "name", "status", "type", "id", "created", *extra)
        )
        rows = []
        for record in frame.head(self.max_rows).to_dict("records"):
            created = record.get("created_at")
            created_text = (
                created.strftime("%Y-%m-%d %H:%M:%S UTC")
                if isinstance(created, pd.Timestamp)
                else ""
            )
            cells = [
                thumbnail(record.get("thumbnail_url"), record.get("status")),
                f"<b>{clip(record.get('name'))}</b>",
                badge(record.get("status")),
                clip(record.get("type")),
                f"<code>{clip(record.get('id'))}</code>",
                esc(created_text),
                *(clip(record.get(c)) for c in extra),
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        more = len(frame) - self.max_rows
        foot = f'<tr><td colspan="99">… {more} more rows</td></tr>' if more > 0 else ""
        return (
            '<table class="argil-table" style="border-collapse:collapse;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{foot}</tbody></table>"
            f'<div style="color:#6b7280;font-size:11px">{len(frame)} assets</div>'
        )


def show(frame: pd.DataFrame, max_rows: int = 50) -> Table:
    """Display a status table with thumbnails and status badges.

    Parameters
    ----------
    frame
        A frame from argil_nb (``get_assets``, ``list_assets``, ``read_csv`` ...).
    max_rows
        Rows shown; the rest are counted in a last line.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"show takes a pandas DataFrame, got {type(frame).__name__}")
    return Table(frame, check_int("max_rows", max_rows, minimum=0))
