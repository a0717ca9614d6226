"""The fallback reader: any file that is text, scanned as it is."""

from __future__ import annotations

from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import file_provenance

_BINARY_MAGIC = (
    b"\x7fELF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"SQLite format 3\x00",
    b"MZ", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\x00asm", b"PK\x03\x04", b"\x1f\x8b",
    b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!",
)


def looks_binary(head: bytes) -> bool:
    """Known binary magic, or more than 10% NUL bytes in the first 8 KiB.

    A stray NUL in a log is not enough: such a file is still scanned as text (the
    detectors treat NUL as a terminator). Unknown binary data that slips through costs
    scanning time, never a false finding.
    """
    if head.startswith(_BINARY_MAGIC):
        return True
    sample = head[:8192]
    return bool(sample) and sample.count(b"\x00") * 10 > len(sample)


class TextReader:
    """Plain text: the whole file is one chunk, lines as they are."""

    name = "text"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return True

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        if looks_binary(data[:8192]):
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
