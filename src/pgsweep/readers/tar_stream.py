"""A tar read in one forward pass over a stream (an image layer), member by member, in
memory that does not grow with the number of members."""

from __future__ import annotations

import tarfile
import zlib
from typing import IO, Protocol, cast

try:  # zlib-ng inflates about 3.5 times as fast as zlib: the same format, errors apart
    from zlib_ng import zlib_ng
except ImportError:  # pragma: no cover - a platform without its wheel (see pyproject.toml)
    zlib_ng = None  # type: ignore[assignment]

_SKIP_PIECE = 1 << 20  # bytes read at a time to move past a member that is not read
_GZIP_PIECE = 128 * 1024  # compressed bytes inflated at a time
_GZIP_OUT = 512 * 1024  # at most this much inflated at a time (a bomb stays bounded)


class _Inflater(Protocol):
    @property
    def unconsumed_tail(self) -> bytes: ...

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = 0, /) -> bytes: ...


def _raw_inflater() -> tuple[_Inflater, tuple[type[Exception], ...]]:
    """A raw deflate decompressor, and the errors it raises on bad data."""
    if zlib_ng is None:
        return zlib.decompressobj(-zlib.MAX_WBITS), (zlib.error,)
    return (zlib_ng.decompressobj(-zlib.MAX_WBITS),
            (zlib.error, cast(type[Exception], zlib_ng.error)))


class _Stream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Forward:
    """A file that tarfile can read an uncompressed tar from as from a seekable file,
    over a stream that only reads on: positions are counted, seeking ahead reads past
    the bytes, seeking back is the same error as in tarfile's stream mode."""

    def __init__(self, raw: _Stream, head: bytes = b"") -> None:
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


def _is_gzip(head: bytes) -> bool:
    return head.startswith(b"\x1f\x8b\x08")


def _is_compressed(head: bytes) -> bool:
    """gzip, bzip2 or xz, as tarfile's stream mode tells them."""
    return (_is_gzip(head) or head.startswith((b"\x5d\x00\x00\x80", b"\xfd7zXZ"))
            or (head[:3] == b"BZh" and head[4:10] == b"1AY&SY"))


class _Gunzip:
    """The bytes inside a gzip stream, inflated piece by piece: each member's header
    skipped and its trailer not checked, as tarfile's stream mode reads one, and the
    members that follow the first read on, as gzip reads them (a layer compressed in
    parallel pieces, an eStargz layer: one member per file)."""

    def __init__(self, src: _Forward) -> None:
        self.src = src
        _skip_gzip_header(src)
        self.inflater, self.errors = _raw_inflater()
        self.out = b""  # inflated, not yet read from `at` on
        self.at = 0

    def read(self, size: int = -1, /) -> bytes:
        parts: list[bytes] = []
        got = 0
        while size < 0 or got < size:
            if self.at == len(self.out):
                self.out, self.at = self._inflate(), 0
                if not self.out:
                    break
            end = len(self.out) if size < 0 else min(len(self.out), self.at + size - got)
            parts.append(self.out if (self.at, end) == (0, len(self.out))
                         else self.out[self.at:end])
            got += end - self.at
            self.at = end
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _inflate(self) -> bytes:
        """The next inflated piece; empty at the end of the last member or of the input."""
        while True:
            data = self.inflater.unconsumed_tail
            if not data:
                if self.inflater.eof:
                    if not self._next_member():
                        return b""
                    continue
                data = self.src.read(_GZIP_PIECE)
                if not data:
                    return b""
            try:
                out = self.inflater.decompress(data, _GZIP_OUT)
            except self.errors as exc:
                raise tarfile.ReadError("invalid compressed data") from exc
            if out:
                return out


    def _next_member(self) -> bool:
        """Past the ended member's trailer (CRC and size, 8 bytes) to the next member's
        data; False when no member follows (the end, or bytes that are not gzip)."""
        self.src.head = self.inflater.unused_data + self.src.head
        self.src.read(8)
        head = self.src.read(3)
        self.src.head = head + self.src.head
        if not _is_gzip(head):
            return False
        _skip_gzip_header(self.src)
        self.inflater, self.errors = _raw_inflater()
        return True


def _skip_gzip_header(src: _Forward) -> None:
    """Past a gzip member's header: ten bytes, then the extra field, name, comment and
    header checksum its flags announce."""
    fixed = src.read(10)
    flags = fixed[3] if len(fixed) == 10 else 0
    if flags & 4:
        size = src.read(2)
        src.read(int.from_bytes(size, "little") if len(size) == 2 else 0)
    for flag in (8, 16):  # a name, a comment: each ends at a NUL
        while flags & flag and src.read(1) not in (b"", b"\0"):
            pass
    if flags & 2:
        src.read(2)


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
    """The tar in `raw`, read forward, once: a gzip one or an uncompressed POSIX one by
    tarfile's seekable reader over the stream, anything else (bzip2, xz, what a later
    Python reads, an old tar, not a tar) by tarfile's stream mode, which tells them apart;
    the same members and errors either way."""
    head = raw.read(tarfile.BLOCKSIZE)
    if _is_gzip(head):
        return _OnePass(fileobj=_Forward(_Gunzip(_Forward(raw, head))), mode="r")
    if head[257:262] == b"ustar" and not _is_compressed(head):
        return _OnePass(fileobj=_Forward(raw, head), mode="r")
    return _OnePass.open(fileobj=_Forward(raw, head), mode="r|*")
