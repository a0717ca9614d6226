"""Turn text written in UTF-16 or UTF-32 into the UTF-8 every reader and detector reads."""

from __future__ import annotations

import codecs

# Longest first: a UTF-32-LE byte order mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# How much of a file without a byte order mark is looked at to tell UTF-16 from binary.
SAMPLE = 4096
# Below this many code units, a NUL pattern says too little to call a file UTF-16.
_MIN_UNITS = 8


def wide_encoding(data: bytes) -> tuple[str, int] | None:
    """The UTF-16 or UTF-32 codec `data` is written in and the length of its byte order
    mark, or None (UTF-8, or not text).

    A byte order mark decides, when NUL bytes follow it (as in any UTF-16 or UTF-32 text
    with a line end or an ASCII character). Without one, UTF-16 is recognised by its
    mostly-ASCII pattern (a NUL byte in nine code units of ten or more, always on the same
    side, never a NUL unit), which binary formats do not keep up.
    """
    head = data[:SAMPLE]
    if b"\x00" not in head:
        # UTF-8 or another single-byte text (the usual case, decided at once), also when
        # it starts with bytes that look like a UTF-16 byte order mark: UTF-16 text holds
        # NUL bytes (every ASCII character, every line end), a mark and garbage do not
        return None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    units = len(head) // 2
    if units < _MIN_UNITS:
        return None
    even, odd = head[0:units * 2:2], head[1:units * 2:2]
    nul_even, nul_odd = even.count(0), odd.count(0)
    if nul_even == 0 and nul_odd * 10 >= units * 9:
        return "utf-16-le", 0
    if nul_odd == 0 and nul_even * 10 >= units * 9:
        return "utf-16-be", 0
    return None


def as_utf8(data: bytes) -> bytes:
    """`data` as UTF-8 when it is UTF-16 or UTF-32 text (line for line, the byte order
    mark dropped, undecodable units replaced by U+FFFD); any other bytes unchanged."""
    found = wide_encoding(data)
    if found is None:
        return data
    codec, bom = found
    return data[bom:].decode(codec, "replace").encode("utf-8")
