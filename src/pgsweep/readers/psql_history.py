"""Reader for psql's history file, in its readline (0x01 newlines) and libedit (strvis) forms."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgsweep.core.models import Chunk, HistoryProvenance, Skipped
from pgsweep.readers.chunking import (
    iter_grouped,
    skipped_if_binary,
    split_byte_lines,
)
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.sniff import looks_binary

LIBEDIT_HEADER = b"_HiStOrY_V2_"

_UNVIS_RE = re.compile(
    rb"\\(?:([0-7]{1,3})|M\^(.)|M-(.)|\^(.)|x([0-9a-fA-F]{1,2})|([\\nrtbafvsE$\n]))", re.DOTALL
)
_SIMPLE = {
    b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"a": b"\a",
    b"f": b"\f", b"v": b"\v", b"s": b" ", b"E": b"\x1b", b"$": b"", b"\n": b"",
}


def _ctrl(c: int) -> int:
    return 0x7F if c == 0x3F else c & 0x1F


def _unvis_one(m: re.Match[bytes]) -> bytes:
    octal, meta_ctrl, meta, ctrl, hexa, simple = m.groups()
    if octal is not None:
        return bytes((int(octal, 8) & 0xFF,))
    if meta_ctrl is not None:
        return bytes((_ctrl(meta_ctrl[0]) | 0x80,))
    if meta is not None:
        return bytes((meta[0] | 0x80,))
    if ctrl is not None:
        return bytes((_ctrl(ctrl[0]),))
    if hexa is not None:
        return bytes((int(hexa, 16),))
    return _SIMPLE[simple]


def unvis(line: bytes) -> bytes:
    """Undo libedit's strvis(VIS_WHITE): `\\040`, `\\\\`, `\\^A`, `\\M-x`, `\\M^x`, `\\n`, `\\s`…

    Unknown escapes stay as written (NetBSD unvis rejects them; best effort keeps them).
    """
    if b"\\" not in line:
        return line
    return _UNVIS_RE.sub(_unvis_one, line)


def iter_history_lines(data: bytes) -> Iterator[tuple[str, int]]:
    """Entries of a readline or libedit history, one (text, original line) per file line.

    A newline inside an entry (0x01 in psql's files, `\\^A`/`\\001`/`\\n` with libedit)
    becomes a real newline, so the entry spans several normalised lines of one file line.
    """
    lines = split_byte_lines(data)
    libedit = bool(lines) and lines[0].rstrip(b"\r") == LIBEDIT_HEADER
    for n, raw in enumerate(lines, 1):
        if libedit:
            if n == 1:
                continue
            raw = unvis(raw.rstrip(b"\r"))
        text = raw.decode("utf-8", "surrogateescape").replace("\x00", "")
        yield text.replace("\x01", "\n"), n


class PsqlHistoryReader:
    """`~/.psql_history` (and `.psql_history-<db>` from `\\set HISTFILE`), both builds."""

    name = "psql-history"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head, allow_nul=True):
            return False  # not this format: the plain-text reader decides
        name = info.name.replace("\\", "/").rsplit("/", 1)[-1]
        return name.startswith(".psql_history") or name == "psql_history"

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "psql history", allow_nul=True)
        if skip:
            yield skip
            return
        provenance = HistoryProvenance(
            path=info.path, shell="psql", member=info.member, **info.facts())
        items = ((None, text, n) for text, n in iter_history_lines(data))
        yield from iter_grouped(items, lambda _key: provenance)
