"""A tar read forward once (an image layer): the same members, bytes and errors as tarfile's
own stream mode, in memory that does not grow with the number of members."""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import lzma
import struct
import subprocess
import tarfile
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from pgsweep.readers import tar_stream
from pgsweep.readers.tar_stream import open_tar_stream


def build(fmt: int = tarfile.GNU_FORMAT) -> bytes:
    """Files of several sizes, a long name, a non-ASCII name, a folder, a link, a FIFO."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, data in (("etc/app/.env", b"DATABASE_URL=postgres://a:b@h/db\n"),
                           ("deep/" + "x" * 130 + "/conf.yml", b"k: v\n" * 300),
                           ("caf\u00e9/notes.txt", bytes(range(256)) * 9),
                           ("empty", b""),
                           ("exact", b"y" * 1024)):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.uname = len(data), 0o640, "app"
            tf.addfile(ti, io.BytesIO(data))
        for name, kind in (("etc", tarfile.DIRTYPE), ("bin/sh", tarfile.SYMTYPE),
                           ("run/fifo", tarfile.FIFOTYPE)):
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname = kind, "/usr/bin/dash" if kind == tarfile.SYMTYPE else ""
            tf.addfile(ti)
    return buf.getvalue()


Outcome = tuple[list[tuple[str, int, str, bytes | None]], str | None]


def read_all(open_tar: Callable[[io.BytesIO], tarfile.TarFile], data: bytes,
             every: int = 1) -> Outcome:
    """Each member's name, size, owner and (for every `every`-th file) bytes; then the
    error that ended the reading, if one did."""
    seen: list[tuple[str, int, str, bytes | None]] = []
    try:
        with open_tar(io.BytesIO(data)) as tar:
            for n, ti in enumerate(tar):
                fh = tar.extractfile(ti) if ti.isfile() and n % every == 0 else None
                seen.append((ti.name, ti.size, ti.uname, fh.read(ti.size) if fh else None))
    except (tarfile.TarError, EOFError, OSError) as exc:
        return seen, f"{type(exc).__name__}: {exc}"
    return seen, None


def tarfile_stream(fh: io.BytesIO) -> tarfile.TarFile:
    return tarfile.open(fileobj=fh, mode="r|*")


@pytest.mark.parametrize("compress", [
    pytest.param(lambda b: b, id="plain"),
    pytest.param(lambda b: gzip.compress(b, mtime=0), id="gzip"),
    pytest.param(bz2.compress, id="bzip2"),
    pytest.param(lzma.compress, id="xz"),
])
@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
def test_members_and_bytes_are_tarfiles_own(compress: Callable[[bytes], bytes],
                                            fmt: int) -> None:
    data = compress(build(fmt))
    members, error = read_all(open_tar_stream, data)
    assert error is None
    assert [(m[0], m[1], m[2]) for m in members] == [
        ("etc/app/.env", 33, "app"), ("deep/" + "x" * 130 + "/conf.yml", 1500, "app"),
        ("caf\u00e9/notes.txt", 2304, "app"), ("empty", 0, "app"), ("exact", 1024, "app"),
        ("etc", 0, ""), ("bin/sh", 0, ""), ("run/fifo", 0, "")]
    assert members[1][3] == b"k: v\n" * 300 and members[2][3] == bytes(range(256)) * 9
    assert (members, error) == read_all(tarfile_stream, data)


@pytest.mark.parametrize("every", [1, 2])
@pytest.mark.parametrize(("compress", "step"), [
    pytest.param(lambda b: b, 61, id="plain"),
    pytest.param(lambda b: gzip.compress(b, mtime=0), 7, id="gzip"),
])
def test_a_cut_tar_ends_as_in_tarfiles_stream_mode(every: int, compress: Callable[[bytes], bytes],
                                                   step: int) -> None:
    """Cut anywhere (inside a header, the bytes of a file read or passed over, the
    padding, the compressed stream), the members given before the error, and the error,
    are tarfile's."""
    data = compress(build())
    errors = set()
    for cut in (0, *range(20, len(data), step)):
        ours = read_all(open_tar_stream, data[:cut], every)
        assert ours == read_all(tarfile_stream, data[:cut], every), cut
        errors.add(ours[1])
    assert errors == {None, "ReadError: empty file", "ReadError: empty header",
                      "ReadError: truncated header", "ReadError: unexpected end of data"}


def test_not_a_tar_is_the_same_error() -> None:
    cases = {b"": "ReadError: empty file", b"\0" * 10240: None,
             b"\x28\xb5\x2f\xfd" + bytes(600): "ReadError: bad checksum",
             b"not a tar\n" * 100: "ReadError: invalid header",
             b"\x1f\x8b\x08\0" + bytes(6) + b"\xff" * 600: "ReadError: invalid compressed data"}
    for data, error in cases.items():
        assert read_all(open_tar_stream, data) == ([], error)
        assert read_all(tarfile_stream, data) == ([], error)


def test_going_back_is_the_same_error() -> None:
    """A member's bytes are there to read only until the next member is read."""
    for open_tar in (open_tar_stream, tarfile_stream):
        with open_tar(io.BytesIO(build())) as tar:
            first = tar.next()
            assert first is not None and tar.next() is not None
            fh = tar.extractfile(first)
            assert fh is not None
            with pytest.raises(tarfile.StreamError, match="seeking backwards"):
                fh.read(first.size)


def test_a_sparse_file_reads_with_its_holes(tmp_path: Path) -> None:
    """GNU tar's sparse members (holes stored as a map) read back whole."""
    path = tmp_path / "holes.env"
    with path.open("wb") as fh:
        fh.truncate(3 * 1024 * 1024)
        fh.seek(2_000_000)
        fh.write(b"PGPASSWORD=x\n")
    subprocess.run(["tar", "--sparse", "-cf", "sparse.tar", "holes.env"], cwd=tmp_path,
                   check=True)
    data = (tmp_path / "sparse.tar").read_bytes()
    assert len(data) < 100_000  # the holes are not stored
    members, error = read_all(open_tar_stream, data)
    assert error is None and members[0][3] == path.read_bytes()


def test_memory_does_not_grow_with_the_number_of_members() -> None:
    """tarfile keeps every member it has read; a layer is read once, so none are kept."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for n in range(5000):
            tf.addfile(tarfile.TarInfo(f"usr/share/doc/{n}/copyright"))
    data = buf.getvalue()
    tracemalloc.start()
    try:
        with open_tar_stream(io.BytesIO(data)) as tar:
            assert sum(1 for _ in tar) == 5000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024  # tarfile's own list of them takes ~2 MiB


def gzip_member(data: bytes, flags: int, fields: bytes) -> bytes:
    """A gzip member with the header fields `flags` announces (`fields`, in their order)."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data))
    return b"\x1f\x8b\x08" + bytes([flags]) + bytes(4) + b"\0\xff" + fields + body + trailer


@pytest.mark.parametrize(("flags", "fields"), [
    pytest.param(0x08 | 0x10, b"layer.tar\0made by hand\0", id="name-comment"),
    pytest.param(0x02, b"\xab\xcd", id="header-crc"),
    pytest.param(0x04 | 0x08, b"\x06\0BC\x02\0\x1b\0layer.tar\0", id="extra-field"),
])
def test_every_gzip_header_field_is_passed_over(flags: int, fields: bytes) -> None:
    """Names, comments, header checksums and extra fields (which tarfile's stream mode
    reads as compressed data) are skipped; the tar inside reads whole."""
    members, error = read_all(open_tar_stream, gzip_member(build(), flags, fields))
    assert error is None and [m[0] for m in members][:2] == [
        "etc/app/.env", "deep/" + "x" * 130 + "/conf.yml"]
    assert members[1][3] == b"k: v\n" * 300


@pytest.mark.parametrize("cuts", [
    pytest.param((1000,), id="two-members"),
    pytest.param((512, 3000, 3001), id="four-members"),
    pytest.param((10,), id="inside-a-header"),
])
@pytest.mark.parametrize("padding", [b"", bytes(512)], ids=["end", "zero-padded"])
def test_a_gzip_stream_of_several_members_reads_whole(cuts: tuple[int, ...],
                                                      padding: bytes) -> None:
    """A layer compressed in pieces (pigz --independent, an eStargz layer: one gzip member
    after another) holds every member and byte of the tar, as gzip reads it; zero bytes
    after the last member end it."""
    whole = build()
    bounds = [0, *cuts, len(whole)]
    pieces = [whole[a:b] for a, b in itertools.pairwise(bounds)]
    data = b"".join(gzip_member(p, 0x08, b"part\0") if i % 2 else gzip.compress(p, mtime=0)
                    for i, p in enumerate(pieces)) + padding
    assert read_all(open_tar_stream, data) == read_all(open_tar_stream, whole)


def test_the_stdlib_zlib_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where zlib-ng has no wheel, zlib inflates: the same members, bytes and errors."""
    data = gzip.compress(build(), mtime=0)
    cut = data[:len(data) // 2]
    with_zlib_ng = read_all(open_tar_stream, data), read_all(open_tar_stream, cut)
    monkeypatch.setattr(tar_stream, "zlib_ng", None)
    assert (read_all(open_tar_stream, data), read_all(open_tar_stream, cut)) == with_zlib_ng
    assert read_all(open_tar_stream, b"\x1f\x8b\x08\0" + bytes(6) + b"\xff" * 600) == (
        [], "ReadError: invalid compressed data")


def test_a_bomb_is_inflated_in_bounded_pieces() -> None:
    """A member of 48 MiB of zeros (48 KiB compressed) passed over without reading it:
    inflated a piece at a time, never whole."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        bomb = tarfile.TarInfo("zeros")
        bomb.size = 48 << 20
        tf.addfile(bomb, io.BytesIO(bytes(bomb.size)))
        tf.addfile(tarfile.TarInfo("after"))
    data = gzip.compress(buf.getvalue(), compresslevel=1, mtime=0)
    del buf
    tracemalloc.start()
    try:
        with open_tar_stream(io.BytesIO(data)) as tar:
            assert [ti.name for ti in tar] == ["zeros", "after"]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_an_old_tar_without_the_posix_magic_reads_too() -> None:
    """A version 7 header (no `ustar` magic), as very old tools wrote them."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        ti = tarfile.TarInfo("etc/app/.env")
        ti.size = 33
        tf.addfile(ti, io.BytesIO(b"DATABASE_URL=postgres://a:b@h/db\n"))
    header = bytearray(buf.getvalue()[:512])
    header[257:265] = bytes(8)
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    data = bytes(header) + buf.getvalue()[512:]
    assert read_all(open_tar_stream, data) == read_all(tarfile_stream, data) == (
        [("etc/app/.env", 33, "", b"DATABASE_URL=postgres://a:b@h/db\n")], None)
