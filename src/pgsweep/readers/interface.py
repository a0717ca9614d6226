"""The reader interface: one file's bytes in, normalised chunks with provenance out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from pgsweep.errors import PgsweepError
from pgsweep.models import Chunk, Skipped


class ReaderError(PgsweepError):
    """Raised only for programming errors; bad input becomes a Skipped record."""


@dataclass(frozen=True)
class FileInfo:
    """What the file source knows about a file before a reader sees its bytes."""

    path: str  # the path to report (for archive members: the archive's path)
    name: str  # the file's own name (archive member name for members)
    member: str | None = None
    user: str | None = None  # home-directory owner (sweep)
    owner: str | None = None
    mode: str | None = None
    mtime: str | None = None


class Reader(Protocol):
    """Recognises a format by name and content, and reads it into chunks."""

    name: str

    def matches(self, info: FileInfo, head: bytes) -> bool:
        """True when this reader should handle the file (head: its first 4 KiB)."""
        ...

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        """Chunks to scan; each maps its lines back to the original file's lines."""
        ...
