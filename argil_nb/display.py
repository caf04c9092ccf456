"""``show(frame)``: a status table as HTML, with thumbnails and status badges.

Every value is HTML-escaped and cut to ``MAX_TEXT`` characters, at most ``max_rows`` rows
are rendered (the last line says how many more, and how to see them), and only http(s)
thumbnail URLs become images: the markup stays small and inert whatever the data. Text is
left-aligned, ids and times stay on one line, and colours follow the notebook's theme.

Thumbnails served from this machine (a sandbox) are embedded as ``data:`` URIs, so a saved
notebook shows them after the sandbox is gone, or in a browser on another machine. The
markup holds no generated ids or timestamps, so a notebook's saved output is stable.
"""

from __future__ import annotations

import pandas as pd

from ._checks import check_int
from ._html import FONT, MUTED, TEXT, badge, clip, esc, thumbnail
from ._inline import inline_sources
from .errors import InvalidArgument

__all__ = ["Table", "show"]

_TEXT_COLUMNS = ("name", "type", "id", "created_at")
_CELL = "text-align:left;vertical-align:middle;padding:3px 10px 3px 0"
_ONE_LINE = f"{_CELL};white-space:nowrap"
_NAME = f"{_CELL};max-width:40ch;overflow-wrap:anywhere"  # a name without spaces wraps too


class Table:
    """A frame to display: ``_repr_html_`` in notebooks, the plain frame elsewhere.

    Parameters
    ----------
    frame
        The rows.
    max_rows
        Rows rendered; None renders them all.
    """

    def __init__(self, frame: pd.DataFrame, max_rows: int | None = 50) -> None:
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
            f'<th scope="col" style="{_ONE_LINE}">{clip(c)}</th>'
            for c in ("thumbnail", "name", "status", "type", "id", "created", *extra)
        )
        shown = frame if self.max_rows is None else frame.head(self.max_rows)
        records = shown.to_dict("records")
        inline = inline_sources(r.get("thumbnail_url") for r in records)
        rows = []
        for record in records:
            created = record.get("created_at")
            created_text = (
                created.strftime("%Y-%m-%d %H:%M:%S UTC")
                if isinstance(created, pd.Timestamp)
                else ""
            )
            url = record.get("thumbnail_url")
            name = record.get("name")
            cells = [
                (
                    _CELL,
                    thumbnail(
                        url,
                        record.get("status"),
                        inline=inline.get(url) if isinstance(url, str) else None,
                        alt=name if isinstance(name, str) else "",
                    ),
                ),
                (_NAME, f"<b>{clip(name)}</b>"),
                (_ONE_LINE, badge(record.get("status"))),
                (_ONE_LINE, clip(record.get("type"))),
                (_ONE_LINE, f"<code>{clip(record.get('id'))}</code>"),
                (_ONE_LINE, esc(created_text)),
                *((_CELL, clip(record.get(c))) for c in extra),
            ]
            rows.append("<tr>" + "".join(f'<td style="{s}">{c}</td>' for s, c in cells) + "</tr>")
        more = len(frame) - len(shown)
        foot = (
            f'<tr><td colspan="99" style="{_CELL};color:{MUTED}">… {more} more rows: '
            f"an.show(frame, max_rows=None) shows them all</td></tr>"
            if more > 0
            else ""
        )
        return (
            f'<table class="argil-table" style="border-collapse:collapse;font-size:12px;'
            f'{FONT};color:{TEXT}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{foot}</tbody></table>"
            f'<div style="color:{MUTED};font-size:11px;{FONT}">{len(frame)} assets</div>'
        )


def show(frame: pd.DataFrame, max_rows: int | None = 50) -> Table:
    """Display a status table with thumbnails and status badges.

    Parameters
    ----------
    frame
        A frame from argil_nb (``get_assets``, ``list_assets``, ``read_csv`` ...).
    max_rows
        Rows shown (50 by default); the rest are counted in a last line. None shows them all.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"show takes a pandas DataFrame, got {type(frame).__name__}")
    if max_rows is not None:
        check_int("max_rows", max_rows, minimum=0)
    return Table(frame, max_rows)
