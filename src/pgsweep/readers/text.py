"""The fallback reader: any file that is text, scanned as it is."""

from __future__ import annotations

from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import file_provenance
from pgsweep.readers.sniff import looks_binary


class TextReader:
    """Plain text: the whole file is one chunk, lines as they are."""

    name = "text"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return True

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        if looks_binary(data):
            yield Skipped(where_of(info), "binary")
            return
        yield Chunk(data=data, provenance=file_provenance(info, self.name))


def where_of(info: FileInfo) -> str:
    """How a skip record names the file (archive members as `archive!member`)."""
    return f"{info.path}!{info.member}" if info.member else info.path


def text_chunk(info: FileInfo, data: bytes, reader: str) -> Chunk:
    """The file as plain text, tagged with the reader that fell back to it."""
    return Chunk(data=data, provenance=file_provenance(info, reader))


TEXT_READER = TextReader()
