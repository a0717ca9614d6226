"""Tell binary content from text before a reader reads it."""

from __future__ import annotations

_BINARY_MAGIC = (
    b"\x7fELF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"SQLite format 3\x00",
    b"MZ", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\x00asm", b"PK\x03\x04", b"\x1f\x8b",
    b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!",
)
# Bytes no text format writes: C0 controls but tab, newline, form feed, carriage return and
# escape (terminal colours in logs).
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
SAMPLE = 65536


# The last text judged and its verdict, as one tuple (threads of one process may judge at
# once: each sees a whole entry or another one, never a mix): choosing a reader asks each
# reader in turn about the same head of a file.
_last: list[tuple[bytes, bool, bool]] = [(b"", False, False)]


def looks_binary(data: bytes, allow_nul: bool = False) -> bool:
    """Known binary magic, or over 5% of the first 64 KiB control bytes (random data: ~10%).

    `allow_nul` leaves NUL bytes out of the count, for formats a crash pads with NULs
    (shell histories). A stray control byte is not enough: such a file is still scanned as
    text. Unknown binary data that slips through costs scanning time, never a false finding.
    """
    seen, nul, verdict = _last[0]
    if seen is data and nul == allow_nul:
        return verdict
    verdict = _looks_binary(data, allow_nul)
    _last[0] = (data, allow_nul, verdict)
    return verdict


def _looks_binary(data: bytes, allow_nul: bool) -> bool:
    if data.startswith(_BINARY_MAGIC):
        return True
    head = data[:SAMPLE]
    if allow_nul:
        head = head.replace(b"\x00", b"")
    if not head:
        return False  # empty, or only NUL padding: nothing to read, nothing to fear
    bad = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return bad * 20 > len(head)
