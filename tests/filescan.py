"""Test helpers: run the real readers and detectors over files built in a test."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from pgsweep.core.models import Chunk, Finding, ScanStats, Skipped, provenance_path
from pgsweep.findings.pipeline import Scanner
from pgsweep.readers.interface import FileInfo
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import iter_data_items


@dataclass(frozen=True)
class Row:
    """What a test asserts about one finding."""

    path: str | None
    line: int
    user: str | None
    host: str | None
    secret: str
    database: str | None = None


def row(f: Finding) -> Row:
    return Row(provenance_path(f.provenance), f.line, f.user, f.host, f.secret, f.database)


def scan_items(
    scanner: Scanner, items: Iterable[Chunk | Skipped]
) -> tuple[list[Finding], ScanStats]:
    stats = ScanStats()
    found: list[Finding] = []
    for item in items:
        if isinstance(item, Skipped):
            stats.skip(item)
        else:
            found += scanner.scan_chunk(item, stats)
    return found, stats


def scan_data(scanner: Scanner, name: str, data: bytes, path: str | None = None,
              limits: ArchiveLimits | None = None, **meta: str) -> tuple[list[Finding], ScanStats]:
    info = FileInfo(path=path or f"/data/{name}", name=name, **meta)
    return scan_items(scanner, iter_data_items(info, data, limits or ArchiveLimits()))


@functools.cache
def shared_scanner() -> Scanner:
    """The real detector pipeline (shipped signatures, default filters), built once."""
    from pgsweep.detectors import signatures

    return Scanner(signatures.load())
