"""The parsed matches of a window's text, remembered for the next window with the same text.

A window's matches depend on its text and its signature alone: the regex runs over the
window, and the parser reads the match within that window. A git history holds the same
lines in every version of a file, so most windows of a history scan repeat one seen before;
they are parsed once.
"""

from __future__ import annotations

from pgsweep.core.models import ParsedCredential

# (start, end, parsed): a match's byte offsets relative to the window's start
WindowMatch = tuple[int, int, ParsedCredential]

# Text kept at most, in bytes of window text; the memo starts afresh when it is full.
BUDGET = 24 * 1024 * 1024
# What one remembered entry costs beyond its text, roughly.
_OVERHEAD = 200


class WindowMemo:
    """Signature id and window text -> the window's parsed matches, within a byte budget.

    Safe to share between threads: a lookup or an insertion is one dict operation, and the
    budget's count is only ever an estimate.
    """

    def __init__(self, budget: int = BUDGET) -> None:
        self._found: dict[tuple[str, bytes], tuple[WindowMatch, ...]] = {}
        self._held = 0
        self._budget = budget

    def get(self, rule: str, text: bytes) -> tuple[WindowMatch, ...] | None:
        """The matches remembered for this text under this signature, or None."""
        return self._found.get((rule, text))

    def put(self, rule: str, text: bytes, found: tuple[WindowMatch, ...]) -> None:
        """Remember a window's matches; a full memo is emptied first."""
        cost = len(text) + _OVERHEAD * (1 + len(found))
        if self._held + cost > self._budget:
            self._found = {}
            self._held = 0
        self._found[(rule, text)] = found
        self._held += cost
