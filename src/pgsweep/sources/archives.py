"""Archive members (.zip, .tar, .tar.gz/.tgz, .gz) read in memory, within hard limits."""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from pgsweep.core.models import Skipped
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.text import where_of

MiB = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that keep a hostile archive (zip bomb, deep nesting) from exhausting memory."""

    max_member_size: int = 10 * MiB  # the scan's file size limit applies to members too
    max_total: int = 256 * MiB  # uncompressed bytes read from one top-level archive
    max_members: int = 10_000
    max_depth: int = 3  # archives inside archives inside archives
    max_ratio: int = 200  # a member above 1 MiB compressed more than this is a bomb
    # Carried with the bounds to every layout reader: lets a chat export's reader leave
    # undecoded the day files and messages that cannot hold a keyword.
    json_gate: JsonGate | None = field(default=None, compare=False)


@dataclass
class Budget:
    """What is left of the limits while one top-level archive is read (shared by nesting)."""

    total: int
    members: int


def archive_kind(name: str, head: bytes) -> str | None:
    """"zip", "tar", "gzip" (maybe a tar inside) or None, by content first, then by name."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".tar.gz", ".tgz", ".gz")):
        return "gzip"
    if lower.endswith(".tar"):
        return "tar"
    return None


def _member_info(outer: FileInfo, member: str, **meta: str | None) -> FileInfo:
    full = f"{outer.member}!{member}" if outer.member else member
    return replace(outer, name=posixpath.basename(member.rstrip("/")), member=full,
                   **{k: v for k, v in meta.items() if v is not None})


def _iso(ts: float) -> str | None:
    try:
        return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


def iter_members(
    info: FileInfo, data: bytes, kind: str, limits: ArchiveLimits, budget: Budget
) -> Iterator[tuple[FileInfo, bytes] | Skipped]:
    """Each regular member's info and bytes, or a skip record; never raises on bad input."""
    where = where_of(info)
    try:
        if kind == "zip":
            yield from _iter_zip(info, data, limits, budget)
        elif kind == "gzip":
            yield from _iter_gzip(info, data, limits, budget)
        else:
            yield from _iter_tar(info, io.BytesIO(data), "r|", limits, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile,
            OSError, ValueError, NotImplementedError) as exc:
        yield Skipped(where, f"archive: corrupt or truncated {kind} ({type(exc).__name__})",
                      incomplete=True)


def _take(budget: Budget, size: int, where: str) -> Skipped | None:
    if budget.members <= 0:
        return Skipped(where, "archive: member count limit reached")
    if size > budget.total:
        return Skipped(where, "archive: total uncompressed size limit reached")
    budget.members -= 1
    budget.total -= size
    return None


def _iter_zip(info: FileInfo, data: bytes, limits: ArchiveLimits,
              budget: Budget) -> Iterator[tuple[FileInfo, bytes] | Skipped]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for zi in zf.infolist():
            if zi.is_dir():
                continue
            where = f"{where_of(info)}!{zi.filename}"
            if zi.file_size > limits.max_member_size:
                yield Skipped(where, "too large")
                continue
            if (zi.file_size > MiB and zi.compress_size > 0
                    and zi.file_size > limits.max_ratio * zi.compress_size):
                yield Skipped(where, "archive: zip bomb suspected (compression ratio)")
                continue
            stop = _take(budget, zi.file_size, where)
            if stop is not None:
                yield stop
                return
            if zi.flag_bits & 0x1:
                yield Skipped(where, "archive: encrypted member", incomplete=True)
                continue
            try:
                with zf.open(zi) as fh:
                    content = fh.read(limits.max_member_size + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError,
                    RuntimeError, OSError) as exc:
                yield Skipped(where, f"archive: unreadable member ({type(exc).__name__})",
                              incomplete=True)
                continue
            unix_mode = (zi.external_attr >> 16) & 0o7777
            yield _member_info(
                info, zi.filename,
                mode=f"{unix_mode:04o}" if unix_mode else None,
                mtime=_zip_time(zi.date_time),
            ), content


def _zip_time(dt: tuple[int, int, int, int, int, int]) -> str | None:
    try:
        return datetime(*dt, tzinfo=UTC).isoformat(timespec="seconds")
    except ValueError:
        return None


def _iter_gzip(info: FileInfo, data: bytes, limits: ArchiveLimits,
               budget: Budget) -> Iterator[tuple[FileInfo, bytes] | Skipped]:
    where = where_of(info)
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
        head = gz.read(512)
    if len(head) > 262 and head[257:262] == b"ustar":
        yield from _iter_tar(info, io.BytesIO(data), "r|gz", limits, budget)
        return
    # A single gzip-compressed file: read no more than the limits allow.
    cap = min(limits.max_member_size, budget.total)
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
        content = gz.read(cap + 1)
    if len(content) > cap:
        yield Skipped(where, "too large" if cap == limits.max_member_size
                      else "archive: total uncompressed size limit reached")
        return
    stop = _take(budget, len(content), where)
    if stop is not None:
        yield stop
        return
    name = info.name[:-3] if info.name.lower().endswith(".gz") else info.name
    yield _member_info(info, name or "data"), content


def _iter_tar(info: FileInfo, fileobj: io.BytesIO, mode: Literal["r|", "r|gz"],
              limits: ArchiveLimits, budget: Budget) -> Iterator[tuple[FileInfo, bytes] | Skipped]:
    # Streaming mode: members are read in order and a skipped member's bytes are only
    # decompressed once, so the declared sizes bound the work (tar sizes cannot lie).
    with tarfile.open(fileobj=fileobj, mode=mode) as tf:
        for ti in tf:
            where = f"{where_of(info)}!{ti.name}"
            if not ti.isfile():
                if not ti.isdir():
                    yield Skipped(where, _special_member_reason(ti))
                continue
            if ti.size > limits.max_member_size:
                yield Skipped(where, "too large")
                if ti.size > budget.total:
                    yield Skipped(where_of(info), "archive: total uncompressed size limit reached")
                    return
                budget.total -= ti.size
                continue
            stop = _take(budget, ti.size, where)
            if stop is not None:
                yield stop
                return
            fh = tf.extractfile(ti)
            if fh is None:
                yield Skipped(where, "archive: member not readable as a file")
                continue
            content = fh.read(ti.size)  # no more: a larger request is allocated whole
            yield _member_info(
                info, ti.name,
                mode=f"{ti.mode & 0o7777:04o}",
                mtime=_iso(ti.mtime),
                owner=ti.uname or str(ti.uid),
            ), content


def _special_member_reason(ti: tarfile.TarInfo) -> str:
    """Why a tar member that is neither a file nor a directory is not read."""
    if ti.issym() or ti.islnk():
        return "archive: link member not followed"
    return "archive: special member (device, FIFO)"
