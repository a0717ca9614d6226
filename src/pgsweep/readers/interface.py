"""The reader interface: one file's bytes in, normalised chunks with provenance out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol, TypedDict

from pgsweep.core.models import Chunk, Provenance, Skipped
from pgsweep.detectors.json_gate import JsonGate


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

    def facts(self) -> Facts:
        """What every provenance read from this file records about it (`FileFacts`)."""
        return Facts(user=self.user, owner=self.owner, mode=self.mode, mtime=self.mtime)


class Facts(TypedDict):
    """The keyword arguments of `core.models.FileFacts`, taken from a `FileInfo`."""

    user: str | None
    owner: str | None
    mode: str | None
    mtime: str | None


@dataclass(frozen=True)
class Nested:
    """A file found inside the one being read (a mail attachment, a file in an image layer,
    an unexpected member of an export): the source reads it like any file, by the reader
    its name and content call for, and `wrap` turns each resulting chunk's provenance into
    the container's (so a `.env` attachment keeps the message it came with)."""

    info: FileInfo
    data: bytes
    wrap: Callable[[Provenance], Provenance]


ReadItem = Chunk | Skipped | Nested


@dataclass(frozen=True)
class TreeEntry:
    """A regular file in a tree (an archive's member or a file under a folder)."""

    name: str  # POSIX path relative to the tree's root
    size: int
    mode: str | None = None
    mtime: str | None = None
    owner: str | None = None


class Tree(Protocol):
    """Random access to the files of a zip, a tar or a folder, without unpacking to disk."""

    def entries(self) -> list[TreeEntry]:
        """Every regular file, in the tree's own order."""
        ...

    def skipped(self) -> list[tuple[str, str]]:
        """(name, reason) for each member that is not a regular file or directory."""
        ...

    def open(self, name: str) -> IO[bytes]:
        """A stream of the file's bytes (OSError, or the archive's error, when unreadable)."""
        ...

    def close(self) -> None: ...


class Reader(Protocol):
    """Recognises a format by name and content, and reads it into chunks."""

    name: str

    def matches(self, info: FileInfo, head: bytes) -> bool:
        """True when this reader should handle the file (head: its first 4 KiB)."""
        ...

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[ReadItem]:
        """Chunks to scan, each mapping its lines back to the original file's lines; skip
        records; and files found inside (mail attachments) for the source to read."""
        ...


class StreamReader(Protocol):
    """A reader that can also take its format as a stream, piece by piece (an mbox of any
    size), so a file above the size limit is still read in bounded memory."""

    name: str

    def matches(self, info: FileInfo, head: bytes) -> bool: ...

    def iter_stream(self, info: FileInfo, fh: IO[bytes], max_size: int) -> Iterator[ReadItem]:
        """Items as `iter_chunks` gives them; each piece bounded by `max_size`."""
        ...


class TreeReader(Protocol):
    """Recognises a layout of files (a chat export, an image) and reads it as one input."""

    name: str

    def claims(self, names: frozenset[str]) -> bool:
        """True when the tree's file names have this layout."""
        ...

    def iter_tree(self, tree: Tree, info: FileInfo, max_size: int,
                  json_gate: JsonGate | None = None) -> Iterator[ReadItem]:
        """Chunks, skips and embedded files; every file of the tree the layout does not
        use comes back as a `Nested` item, so nothing is passed over. A reader that decodes
        JSON records may leave undecoded those `json_gate` clears."""
        ...


def read_limited(tree: Tree, name: str, limit: int, size: int | None = None) -> bytes | None:
    """A tree file's bytes, or None when it holds more than `limit` bytes. `size`, the size
    the tree lists for it, spares allocating `limit` bytes for a small file; a file holding
    more than it is read on to the limit."""
    want = limit + 1 if size is None or size >= limit else size + 1
    with tree.open(name) as fh:
        data = fh.read(want)
        if len(data) == want and want <= limit:
            data += fh.read(limit + 1 - want)
    return None if len(data) > limit else data
