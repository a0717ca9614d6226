"""Files and folders on disk as chunks: a safe walk, archive expansion, one reader per file."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import TypedDict

from pgsweep.models import Chunk, Finding, Skipped
from pgsweep.readers.interface import FileInfo, Reader
from pgsweep.readers.registry import select_reader
from pgsweep.readers.text import where_of
from pgsweep.sources.archives import ArchiveLimits, Budget, archive_kind, iter_members
from pgsweep.sources.interface import SourceError

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
HEAD = 4096

__all__ = [
    "DEFAULT_MAX_SIZE",
    "FileSource",
    "file_meta",
    "is_binary",
    "iter_data_items",
    "iter_path_items",
]


def _unreadable(errors: list[OSError], where: str | None) -> Iterator[Skipped]:
    """Skip records for the directories `os.walk` could not list (its onerror list)."""
    while errors:
        err = errors.pop()
        yield Skipped(str(err.filename or where), f"unreadable directory: {err.strerror or err}")


def is_binary(data: bytes) -> bool:
    """NUL in the first 8 KiB, as git decides (the git source's rule for blobs)."""
    return data.find(b"\x00", 0, 8192) >= 0  # no copy of the first 8 KiB


class FileMeta(TypedDict):
    """The stat facts every file provenance carries."""

    owner: str
    mode: str
    mtime: str


def file_meta(st: os.stat_result, owners: Mapping[int, str] | None = None) -> FileMeta:
    """owner (from `owners`, else this machine's passwd, else the uid), mode and mtime."""
    owner = (owners or {}).get(st.st_uid)
    if owner is None:
        try:
            import pwd

            owner = pwd.getpwuid(st.st_uid).pw_name if owners is None else str(st.st_uid)
        except (KeyError, ImportError):
            owner = str(st.st_uid)
    return {
        "owner": owner,
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
        "mtime": datetime.fromtimestamp(st.st_mtime, tz=UTC).isoformat(timespec="seconds"),
    }


class UnreadableFile(Exception):
    """A file that cannot be read as a regular file; the message is the skip reason."""


_READ_FAILURES = ("symlink", "not a regular file", "too large")


def is_read_failure(reason: str) -> bool:
    """A skip reason saying the file itself was not read (not: read, then not usable)."""
    return reason in _READ_FAILURES or reason.startswith("unreadable")


def read_regular_file(path: Path, max_size: int) -> tuple[bytes, os.stat_result]:
    """Read a regular file without following a final symlink, blocking on a FIFO, or
    updating its access time where the OS lets us (evidence stays untouched)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        # Never open a device, FIFO or socket (opening one can block or have side effects).
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise UnreadableFile("symlink" if path.is_symlink() else "not a regular file")
        try:
            fd = os.open(path, flags | noatime)
        except PermissionError:
            if not noatime:
                raise
            fd = os.open(path, flags)  # O_NOATIME needs ownership
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableFile("symlink") from None
        raise UnreadableFile(f"unreadable: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile("not a regular file")
        if st.st_size > max_size:
            raise UnreadableFile("too large")
        parts = []
        left = max_size + 1
        while left > 0:
            block = os.read(fd, min(left, 1 << 20))
            if not block:
                break
            parts.append(block)
            left -= len(block)
        data = b"".join(parts)
        if len(data) > max_size:
            raise UnreadableFile("too large")
        return data, st
    except OSError as exc:
        raise UnreadableFile(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def iter_data_items(
    info: FileInfo,
    data: bytes,
    limits: ArchiveLimits,
    reader: Reader | None = None,
    depth: int = 0,
    budget: Budget | None = None,
) -> Iterator[Chunk | Skipped]:
    """Chunks of one file's bytes: archive members recursively, else the chosen reader's."""
    head = data[:HEAD]
    kind = archive_kind(info.name, head) if reader is None else None
    if kind is not None:
        if depth >= limits.max_depth:
            yield Skipped(where_of(info), "archive: nested too deep")
            return
        budget = budget or Budget(total=limits.max_total, members=limits.max_members)
        for item in iter_members(info, data, kind, limits, budget):
            if isinstance(item, Skipped):
                yield item
                continue
            member_info, content = item
            yield from iter_data_items(member_info, content, limits, None, depth + 1, budget)
        return
    chosen = reader or select_reader(info, head)
    try:
        yield from chosen.iter_chunks(info, data)
    except Exception as exc:  # noqa: BLE001 - bad input must never stop the scan; no message
        yield Skipped(where_of(info), f"reader {chosen.name} failed ({type(exc).__name__})")


def iter_path_items(
    path: Path,
    limits: ArchiveLimits,
    user: str | None = None,
    owners: Mapping[int, str] | None = None,
    reader: Reader | None = None,
    shown: Path | None = None,
) -> Iterator[Chunk | Skipped]:
    """Chunks of one path on disk (a regular file; anything else is a skip record).

    `shown` is the path to report and choose the reader by, when `path` is the target of
    a symlink that was checked to stay inside the scanned root.
    """
    shown = shown or path
    try:
        data, st = read_regular_file(path, limits.max_member_size)
    except UnreadableFile as exc:
        yield Skipped(str(shown), str(exc))
        return
    info = FileInfo(path=str(shown), name=shown.name, user=user, **file_meta(st, owners))
    yield from iter_data_items(info, data, limits, reader)


def is_within(root: Path, path: Path) -> bool:
    """True when `path` (after resolving symlinks) is inside `root` (resolved)."""
    try:
        real = Path(os.path.realpath(path))
        base = Path(os.path.realpath(root))
    except (OSError, ValueError):
        return False
    return real == base or base in real.parents


def symlink_skip(root: Path, path: Path) -> Skipped | None:
    """A skip record for a symlink we will not follow (None: its target is scanned anyway)."""
    if not os.path.exists(path):
        return Skipped(str(path), "dangling symlink")
    if not is_within(root, path):
        return Skipped(str(path), "symlink out of root")
    return None


class FileSource:
    """Walks a file or folder without following symlinks, skipping `.git` internals."""

    def __init__(
        self,
        root: Path,
        excludes: Sequence[str] = (),
        max_size: int = DEFAULT_MAX_SIZE,
        limits: ArchiveLimits | None = None,
        user: str | None = None,
    ) -> None:
        if not os.path.lexists(root):
            raise SourceError(f"{root}: no such file or directory")
        if root.is_symlink():  # the path the user named is followed; nothing below it is
            root = Path(os.path.realpath(root))
        self.root = root
        self.excludes = tuple(excludes)
        # `limits` carries the file size limit too; `max_size` alone keeps the other defaults.
        self.limits = limits or ArchiveLimits(max_member_size=max_size)
        self.user = user

    def _excluded(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch(rel, g) or fnmatch(name, g) or fnmatch(rel + "/", g)
                   for g in self.excludes)

    def iter_files(self) -> Iterator[Path | Skipped]:
        """Regular-file candidates under the root, and skip records for what is not read."""
        if not self.root.is_dir():
            yield self.root
            return
        errors: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=errors.append,
                                                    followlinks=False):
            yield from _unreadable(errors, dirpath)
            here = Path(dirpath)
            keep = []
            for entry in self._admit(here, (d for d in dirnames if d != ".git")):
                if isinstance(entry, Skipped):
                    yield entry
                else:
                    keep.append(entry.name)
            dirnames[:] = keep
            yield from self._admit(here, filenames)
        yield from _unreadable(errors, None)

    def _admit(self, here: Path, names: Iterable[str]) -> Iterator[Path | Skipped]:
        """The entries of a directory the walk goes on with, in name order: not excluded,
        not symlinks (a symlink leaving the root becomes a skip record)."""
        for name in sorted(names):
            full = here / name
            if self._excluded(full.relative_to(self.root).as_posix()):
                continue
            if full.is_symlink():
                skip = symlink_skip(self.root, full)
                if skip is not None:
                    yield skip
                continue
            yield full

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        for path in self.iter_files():
            if isinstance(path, Skipped):
                yield path
                continue
            yield from iter_path_items(path, self.limits, user=self.user)

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)
