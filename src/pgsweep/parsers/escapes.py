"""Runs of escape digits, as the backslash escapes of PostgreSQL's string forms read them."""

from __future__ import annotations

OCTAL = "01234567"
HEX = "0123456789abcdefABCDEF"


def digit_run(text: str, i: int, digits: str, most: int) -> int:
    """The index after the run of at most `most` characters of `digits` starting at `i`."""
    end = min(len(text), i + most)
    j = i
    while j < end and text[j] in digits:
        j += 1
    return j
