"""The proof that a listing is complete, without any request: keys, answers, gaps, windows.

Pure code (``argil_nb.listing`` has the reasoning; ``listing_cover`` the requests). An answer
covers the keys from its first to its last (from the start of the list when it is at offset
0, to the end when it reached the end): an asset that existed for the whole listing and sorts
inside that range was in it, since an answer is one snapshot. :func:`gaps` are the key ranges
left between the answers, once those that touch or overlap and the *bridges* are joined: a
full window A, then the window B just after it read by the same lane once A was answered, on
a list where assets arrive only in front, B's total no smaller than A's: the assets sorting
before A's last key can only have grown in number, so none slipped from B into A's range.
:func:`straddle` picks the window to ask for a gap.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .models import MAX_PAGE_SIZE, Asset

__all__ = [
    "HEAD",
    "TAIL",
    "Answer",
    "Gap",
    "Key",
    "Zone",
    "asset_key",
    "chain_window",
    "gaps",
    "straddle",
    "straddle_window",
]

Key = tuple[int, int, str]
"""Where an asset sorts: ``(0, -createdAt in microseconds, id)``, newest first, then by id."""
HEAD: Key = (-1, 0, "")
"""Before every asset: the start of a list."""
TAIL: Key = (1, 0, "")
"""After every asset: the end of a list."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def asset_key(asset: Asset) -> Key | None:
    """Where ``asset`` sorts in a newest-first list; None without a readable ``createdAt``."""
    if asset.created_at is None:
        return None
    return (0, -((asset.created_at - _EPOCH) // _MICROSECOND), asset.id)


def chain_window(stop: int) -> tuple[int, int]:
    """``(page size, page number)`` of the window that holds offset ``stop - 1`` and reaches
    furthest: it overlaps the items before ``stop`` by one at least."""
    best = (0, MAX_PAGE_SIZE, 1)
    for size in range(MAX_PAGE_SIZE, 0, -1):
        number = (stop - 1) // size + 1
        if size * number > best[0]:
            best = (size * number, size, number)
    return best[1], best[2]


def straddle_window(first: int, last: int) -> tuple[int, int]:
    """``(page size, page number)`` of a window holding offsets ``first`` to ``last`` with
    the most room on both sides; when none can, the one from ``first`` reaching furthest."""
    first = max(first, 0)
    last = max(last, first)
    best: tuple[int, int, int, int] | None = None
    for size in range(MAX_PAGE_SIZE, 0, -1):
        number = first // size + 1
        start, stop = size * (number - 1), size * number
        score = (1, min(first - start, stop - 1 - last)) if stop > last else (0, stop)
        if best is None or score > best[:2]:
            best = (*score, size, number)
    assert best is not None
    return best[2], best[3]


@dataclass(eq=False)
class Answer:
    """One page answer: a snapshot of the window ``[offset, offset + size)`` of the list."""

    offset: int
    size: int
    assets: list[Asset] = field(repr=False)
    keys: list[Key] = field(repr=False)
    """The assets' keys; empty when the answer is not sorted newest first."""
    total: int
    """``X-Total-Count`` (-1 when absent)."""
    sent: int
    received: int
    after: Answer | None = field(default=None, repr=False)
    """The answer read just before by the same lane (received before this one was sent)."""

    @property
    def full(self) -> bool:
        """Whether the window was full."""
        return len(self.assets) == self.size

    @property
    def stop(self) -> int:
        """The offset just after the last asset."""
        return self.offset + len(self.assets)

    @property
    def end(self) -> bool:
        """Whether the window reached the end of the list, as the answer itself says."""
        if self.total >= 0:
            return self.stop >= self.total
        return len(self.assets) < self.size


@dataclass(frozen=True)
class Gap:
    """Keys strictly between ``left`` and ``right`` that no proof covers yet."""

    left: Key
    right: Key


@dataclass(frozen=True)
class Zone:
    """Where a READY or FAILED list may gain an asset behind its cursor.

    Such a list gains assets only when PROCESSING ones finish, each at its own key. A bridge
    lets an asset slip only when one finishes behind it, older than it (while another is
    deleted before the cursor), so an upload made during the listing, newer than every asset
    there all along, can slip none of those. A bridge after answer A, whose last key is
    ``k``, therefore holds when every PROCESSING asset of a snapshot sorts before ``k``
    (``oldest`` is the oldest of them, None when there is none), the snapshot taken before A
    was asked (A sent after tick ``after``): an asset that finished before the snapshot
    finished before A too, and one still PROCESSING then was in it.
    """

    oldest: Key | None
    after: int = 0

    def clear(self, answer: Answer) -> bool:
        """Whether no asset can finish behind ``answer`` before the page after it is read."""
        return answer.sent > self.after and (self.oldest is None or self.oldest <= answer.keys[-1])


def gaps(answers: Sequence[Answer], bridges: Callable[[Answer], bool]) -> list[Gap]:
    """The key ranges no answer, overlap or bridge covers (empty: the list is complete).

    ``bridges(a)``: whether the boundary just after answer ``a`` may be bridged on this list.
    """
    pieces: list[tuple[Key, Key]] = []
    for answer in answers:
        if not answer.assets:
            if answer.offset == 0:
                return []  # empty at one instant: no asset existed for the whole listing
            continue
        lo = HEAD if answer.offset == 0 else answer.keys[0]
        pieces.append((lo, TAIL if answer.end else answer.keys[-1]))
        before = answer.after
        if (
            before is not None
            and before.stop == answer.offset
            and bridges(before)
            and answer.total >= before.total
        ):
            pieces.append((before.keys[-1], answer.keys[0]))
    gaps: list[Gap] = []
    reach = HEAD
    for lo, hi in sorted(pieces):
        if lo > reach:
            gaps.append(Gap(reach, lo))
        reach = max(reach, hi)
    if pieces and reach != TAIL:
        gaps.append(Gap(reach, TAIL))
    return gaps


def straddle(answers: Sequence[Answer], gap: Gap, front_only: bool) -> tuple[int, int]:
    """``(page size, page number)`` of a window likely to straddle ``gap`` now.

    Where its left key is now is guessed from two answers holding a key at or before it:
    the one whose key is nearest and the latest one; each guess is the position that key
    had, moved by the change of the total since (all of it on a list that gains assets in
    front, a share in proportion to the position elsewhere). The left key is at or after
    both guesses, the right one at or before the guesses made alike from the other side.
    A window that missed is the latest answer on its side: the next guess starts there.
    """
    answers = [a for a in answers if a.keys]
    known = [a for a in answers if a.total >= 0]
    latest = max(known, key=lambda a: a.received).total if known else -1

    def position(answer: Answer, index: int) -> int:
        at = answer.offset + index
        if latest < 0 or answer.total < 0:
            return at
        shift = latest - answer.total
        if not front_only and answer.total:
            shift = shift * at // answer.total
        return max(0, at + shift)

    left = [(a, i - 1) for a in answers if (i := bisect.bisect_right(a.keys, gap.left))]
    right = [(a, i) for a in answers if (i := bisect.bisect_left(a.keys, gap.right)) < len(a.keys)]
    first, since = 0, -1  # the left key is at or after `first` (guessed by `since`)
    for answer, index in (
        {
            max(left, key=lambda p: (p[0].keys[p[1]], p[0].received)),
            max(left, key=lambda p: p[0].received),
        }
        if left
        else ()
    ):
        guess = position(answer, index) + (answer.keys[index] < gap.left)
        if guess > first or (guess == first and answer.received > since):
            first, since = guess, answer.received
    if gap.right == TAIL or not right:  # the end: a window reaching past it
        return straddle_window(first, max(latest, first + 1))
    last, until = -1, -1  # the right key is at or before `last` (guessed by `until`)
    for answer, index in {
        min(right, key=lambda p: (p[0].keys[p[1]], -p[0].received)),
        max(right, key=lambda p: p[0].received),
    }:
        guess = position(answer, index) - (answer.keys[index] > gap.right)
        if last < 0 or guess < last or (guess == last and answer.received > until):
            last, until = guess, answer.received
    if last <= first:  # the guesses cross: trust the one made from the later answer
        if since > until:
            last = first + MAX_PAGE_SIZE // 2
        else:
            first = max(0, last - MAX_PAGE_SIZE // 2)
    return straddle_window(first, max(last, first + 1))
