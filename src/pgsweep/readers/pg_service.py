"""Connection service files (`pg_service.conf`), passed on whole for their signature."""

from __future__ import annotations

from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import file_provenance


class PgServiceReader:
    """`[service]` sections of raw `key=value` lines, passed on as they are for the service
    file signature (pg.pgservice.1), which joins each password with its section's keys."""

    name = "pg-service"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in ("pg_service.conf", ".pg_service.conf")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        yield Chunk(data=data, provenance=file_provenance(info, self.name))
