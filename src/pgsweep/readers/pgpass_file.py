"""Password files (`.pgpass`, `pgpass.conf`, the one `PGPASSFILE` names) and their permissions."""

from __future__ import annotations

import os
from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.parsers import pgpass
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import LineMappedText, decode_text, file_provenance, split_lines


def pgpass_risk(info: FileInfo) -> tuple[str, ...] | None:
    """A .pgpass that group or world can access (libpq ignores it; others can read it)."""
    if info.mode is None:
        return None
    try:
        mode = int(info.mode, 8)
    except ValueError:
        return None
    if mode & 0o077:
        return (f"pgpass-group-or-world-accessible:{info.mode}",)
    return None


class PgpassReader:
    """`hostname:port:database:username:password` lines, passed on as they are for the
    `.pgpass` signature (pg.pgpass.1), comment lines blanked, with the file's permission
    risk.

    Besides the usual names, the file that `passfile` names is one (the registry passes
    the `PGPASSFILE` of the scanning process; a sweep finds each user's in their rc files).
    """

    name = "pgpass"

    def __init__(self, passfile: str | None = None) -> None:
        self.passfile = os.path.realpath(passfile) if passfile else None

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if info.name in (".pgpass", "pgpass.conf", "pgpass"):
            return True
        return (self.passfile is not None and info.member is None
                and os.path.realpath(info.path) == self.passfile)

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        out = LineMappedText()
        for n, line in enumerate(split_lines(decode_text(data)), start=1):
            # libpq reads no comment line: it is blanked, so no form reads it either
            out.add("" if line.startswith("#") else line, n)
        if any(pgpass.parse_line(line) for line in out.lines):  # None: blank, too few ':'
            yield out.chunk(file_provenance(info, self.name, risk_flags=pgpass_risk(info)))
