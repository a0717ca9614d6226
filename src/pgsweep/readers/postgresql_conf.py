"""Server config files (`postgresql.conf`, `postgresql.auto.conf`, `recovery.conf`)."""

from __future__ import annotations

from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import file_provenance


class PostgresqlConfReader:
    """The file as it is: the keyword/value signature (pg.dsn.1) reads `primary_conninfo =
    '…'` itself, undoing the GUC string's quoting before libpq's own rules."""

    name = "postgresql-conf"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in ("postgresql.auto.conf", "postgresql.conf", "recovery.conf")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        yield Chunk(data=data, provenance=file_provenance(info, self.name))
