"""A tar read in one forward pass over a stream (an image layer), member by member, in
memory that does not grow with the number of members."""

from __future__ import annotations

import tarfile
from typing import IO

_SKIP_PIECE = 1 << 20  # bytes read at a time to move past a member that is not read


class _Forward:
    """A file that tarfile can read an uncompressed tar from as from a seekable file,
    over a stream that only reads on: positions are counted, seeking ahead reads past
    the bytes, seeking back is the same error as in tarfile's stream mode."""

    def __init__(self, raw: IO[bytes], head: bytes) -> None:
        self.raw = raw
        self.head = head  # read to tell the compression, handed out first
        self.pos = 0

    def read(self, size: int = -1, /) -> bytes:
        """`size` bytes (all that is left when negative), fewer only at the end."""
        parts: list[bytes] = []
        if self.head:
            parts.append(self.head[:size] if size >= 0 else self.head)
            self.head = self.head[len(parts[0]):]
        got = len(parts[0]) if parts else 0
        while size < 0 or got < size:
            piece = self.raw.read(-1 if size < 0 else size - got)
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.pos += len(data)
        return data

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0, /) -> int:
        if whence != 0 or pos < self.pos:
            raise tarfile.StreamError("seeking backwards is not allowed")
        while pos > self.pos and self.read(min(pos - self.pos, _SKIP_PIECE)):
            pass
        return self.pos

    def write(self, data: bytes, /) -> int:
        raise tarfile.StreamError("read only")

    def close(self) -> None:
        return None  # the stream is its opener's to close


def _is_compressed(head: bytes) -> bool:
    """gzip, bzip2 or xz, as tarfile's stream mode tells them."""
    return (head.startswith((b"\x1f\x8b\x08", b"\x5d\x00\x00\x80", b"\xfd7zXZ"))
            or (head[:3] == b"BZh" and head[4:10] == b"1AY&SY"))


class _OnePass(tarfile.TarFile):
    """A TarFile that forgets each member once it is handed on (tarfile keeps a list of
    every member seen), so a layer of a million files needs no more memory than one of ten;
    iterating it once is all it allows."""

    members: list[tarfile.TarInfo]

    def next(self) -> tarfile.TarInfo | None:
        member = super().next()
        self.members.clear()
        return member


def open_tar_stream(raw: IO[bytes]) -> tarfile.TarFile:
    """The tar in `raw`, read forward, once: an uncompressed one straight from the stream,
    a gzip, bzip2 or xz one through tarfile's stream mode (the same errors either way)."""
    head = raw.read(tarfile.BLOCKSIZE)
    if _is_compressed(head):
        return _OnePass.open(fileobj=_Forward(raw, head), mode="r|*")
    return _OnePass(fileobj=_Forward(raw, head), mode="r")
