"""Standard input (`pgsweep scan -`) as one file: text, a known format, or an archive."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import BinaryIO

from pgsweep.core.models import Chunk, Finding, Skipped
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.interface import FileInfo
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import iter_data_items

STDIN_PATH = "<stdin>"


class StdinSource:
    """Reads standard input up to the size limit; the rest is dropped with a warning."""

    def __init__(self, limits: ArchiveLimits, stream: BinaryIO | None = None,
                 name: str = "-") -> None:
        self.limits = limits
        self.stream = stream
        self.name = name  # a file name hint for the reader choice (e.g. ".pgpass")

    def use_json_gate(self, gate: JsonGate) -> None:
        self.limits = replace(self.limits, json_gate=gate)

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        stream = self.stream if self.stream is not None else sys.stdin.buffer
        data = stream.read(self.limits.max_member_size + 1)
        if len(data) > self.limits.max_member_size:
            data = data[: self.limits.max_member_size]
            yield Skipped(STDIN_PATH, "stdin truncated at the size limit")
        info = FileInfo(path=STDIN_PATH, name=self.name)
        yield from iter_data_items(info, data, self.limits)

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)
