"""Files and folders on disk as chunks: a safe walk, archive expansion, one reader per file."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypedDict

from pgsweep.core.models import Chunk, Finding, Provenance, Records, Skipped
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.encodings import as_utf8
from pgsweep.readers.interface import FileInfo, Nested, Reader, ReadItem, Tree, TreeReader
from pgsweep.readers.registry import select_reader, select_stream_reader, select_tree_reader
from pgsweep.readers.text import TEXT_READER, where_of
from pgsweep.sources.archives import ArchiveLimits, Budget, archive_kind, iter_members
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.interface import SourceError
from pgsweep.sources.trees import DirTree, TarTree, ZipTree

Wrap = Callable[[Provenance], Provenance] | None

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
HEAD = 4096

__all__ = ["DEFAULT_MAX_SIZE", "FileSource", "file_meta", "is_binary", "iter_data_items",
           "iter_path_items"]


def _unreadable(errors: list[OSError], where: str | None) -> Iterator[Skipped]:
    """Skip records for the directories `walk` could not list (its onerror list)."""
    while errors:
        err = errors.pop()
        yield Skipped(str(err.filename or where), f"unreadable directory: {err.strerror or err}",
                      incomplete=True)


def walk(
    top: str, onerror: Callable[[OSError], object]
) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(top, onerror=onerror)` top-down, without following symlinks, and without
    recursion: a folder tree thousands of levels deep is walked like a flat one (the
    caller may prune `dirnames` in place, as with os.walk)."""
    stack = [top]
    while stack:
        here = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                        if is_dir and entry.is_symlink():
                            links.add(entry.name)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError as exc:
            onerror(exc)
            continue
        yield here, dirs, files
        stack.extend(os.path.join(here, name) for name in reversed(dirs) if name not in links)


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

    @property
    def incomplete(self) -> bool:
        """Not read though it may hold a leak (not: a file pgsweep does not read)."""
        return str(self).startswith("unreadable")


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
    wrap: Wrap = None,
) -> Iterator[Chunk | Skipped]:
    """Chunks of one file's bytes: archive members recursively, else the chosen reader's.

    `wrap` turns the provenance of every chunk into that of the container the bytes came
    from (a mail message, an image layer).
    """
    head = data[:HEAD]
    kind = archive_kind(info.name, head) if reader is None else None
    if kind is not None:
        if depth >= limits.max_depth:
            yield Skipped(where_of(info), "archive: nested too deep")
            return
        budget = budget or Budget(total=limits.max_total, members=limits.max_members)
        if kind in ("zip", "tar", "gzip"):
            claimed = _open_tree_reader(kind, io.BytesIO(data))
            if claimed is not None:
                tree, tree_reader = claimed
                yield from _iter_tree(tree, tree_reader, info, limits, depth + 1, budget, wrap)
                return
        for item in iter_members(info, data, kind, limits, budget):
            if isinstance(item, Skipped):
                yield item
                continue
            member_info, content = item
            yield from iter_data_items(member_info, content, limits, None, depth + 1, budget,
                                       wrap)
        return
    data = as_utf8(data)
    chosen = reader or select_reader(info, data[:HEAD])
    try:
        yield from _expand(chosen.iter_chunks(info, data), limits, depth, budget, wrap)
    except Exception as exc:  # noqa: BLE001 - bad input must never stop the scan; no message
        yield Skipped(where_of(info), f"reader {chosen.name} failed ({type(exc).__name__})",
                      incomplete=True)
        if chosen is not TEXT_READER:  # what the reader did not reach is read as plain text
            yield from iter_data_items(info, data, limits, TEXT_READER, depth, budget, wrap)


def _wrap_records(records: Records, wrap: Callable[[Provenance], Provenance]) -> Records:
    return Records(records.starts, records.lines, lambda i: wrap(records.provenance_of(i)))


def _expand(items: Iterator[ReadItem], limits: ArchiveLimits, depth: int,
            budget: Budget | None, wrap: Wrap) -> Iterator[Chunk | Skipped]:
    """A reader's items with embedded files read in turn and every provenance wrapped."""
    for item in items:
        if isinstance(item, Chunk):
            yield item if wrap is None else replace(
                item, provenance=wrap(item.provenance),
                records=None if item.records is None else _wrap_records(item.records, wrap))
        elif isinstance(item, Skipped):
            yield item
        else:
            yield from iter_data_items(item.info, item.data, limits, None, depth, budget,
                                       _compose(wrap, item))


def _compose(outer: Wrap, nested: Nested) -> Wrap:
    if outer is None:
        return nested.wrap
    return lambda p: outer(nested.wrap(p))


def _open_tree_reader(kind: str, fileobj: IO[bytes]) -> tuple[Tree, TreeReader] | None:
    """The zip or tar as a tree, when a layout reader claims its file names."""
    try:
        tree: ZipTree | TarTree = ZipTree(fileobj) if kind == "zip" else TarTree(fileobj)
    except Exception:  # noqa: BLE001 - a corrupt archive is reported by the member reader
        return None
    tree_reader = select_tree_reader(frozenset(e.name for e in tree.entries()))
    if tree_reader is None:
        tree.close()
        return None
    return tree, tree_reader


def iter_tree_items(tree: Tree, tree_reader: TreeReader, info: FileInfo,
                    limits: ArchiveLimits, size: int) -> Iterator[Chunk | Skipped]:
    """A layout (chat export, image) read from a large archive on disk or a folder.

    The files inside share a budget scaled to the input's size (a compressed layer may
    expand), and each is bounded by the file size limit.
    """
    budget = Budget(total=max(limits.max_total, 16 * size),
                    members=max(limits.max_members, 1_000_000))
    yield from _iter_tree(tree, tree_reader, info, limits, 1, budget, None)


def _iter_tree(tree: Tree, tree_reader: TreeReader, info: FileInfo, limits: ArchiveLimits,
               depth: int, budget: Budget, wrap: Wrap) -> Iterator[Chunk | Skipped]:
    where = where_of(info)
    for name, reason in tree.skipped():
        yield Skipped(f"{where}!{name}", reason, incomplete=reason.startswith("unreadable"))
    try:
        items = tree_reader.iter_tree(tree, info, limits.max_member_size, limits.json_gate)
        yield from _expand(items, limits, depth, budget, wrap)
    except Exception as exc:  # noqa: BLE001 - bad input must never stop the scan; no message
        yield Skipped(where, f"reader {tree_reader.name} failed ({type(exc).__name__})",
                      incomplete=True)
    finally:
        tree.close()


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
        if str(exc) == "too large" and reader is None:
            yield from _iter_large_file(path, shown, limits, user, owners)
        else:
            yield Skipped(str(shown), str(exc), incomplete=exc.incomplete)
        return
    info = FileInfo(path=str(shown), name=shown.name, user=user, **file_meta(st, owners))
    yield from iter_data_items(info, data, limits, reader)


def _iter_large_file(path: Path, shown: Path, limits: ArchiveLimits, user: str | None,
                     owners: Mapping[int, str] | None) -> Iterator[Chunk | Skipped]:
    """A file above the size limit: read as a stream when it is a zip or tar whose layout a
    layout reader knows (a chat export, an image) or a format a stream reader takes piece by
    piece (an mbox), else skipped as too large."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the tree is read
    except OSError as exc:
        yield Skipped(str(shown), f"unreadable: {exc.strerror or exc}", incomplete=True)
        return
    with fh:
        st = os.fstat(fh.fileno())
        head = fh.read(HEAD)
        fh.seek(0)
        info = FileInfo(path=str(shown), name=shown.name, user=user, **file_meta(st, owners))
        kind = archive_kind(shown.name, head)
        claimed = _open_tree_reader(kind, fh) if kind in ("zip", "tar", "gzip") else None
        if claimed is not None:
            tree, tree_reader = claimed
            yield from iter_tree_items(tree, tree_reader, info, limits, st.st_size)
            return
        fh.seek(0)
        stream_reader = select_stream_reader(info, head) if kind is None else None
        if stream_reader is None:
            yield Skipped(str(shown), "too large")
            return
        budget = Budget(total=max(limits.max_total, 16 * st.st_size),
                        members=max(limits.max_members, 1_000_000))
        yield from _expand(stream_reader.iter_stream(info, fh, limits.max_member_size),
                           limits, 0, budget, None)


def iter_dir_tree_items(path: Path, tree_reader: TreeReader, limits: ArchiveLimits,
                        user: str | None = None) -> Iterator[Chunk | Skipped]:
    """A folder whose layout a layout reader knows (an unzipped chat export, an OCI layout)."""
    tree = DirTree(path)
    size = sum(e.size for e in tree.entries())
    st = path.stat()
    info = FileInfo(path=str(path), name=path.name, user=user, **file_meta(st))
    yield from iter_tree_items(tree, tree_reader, info, limits, size)


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
        self.excludes = Excludes(excludes)
        # `limits` carries the file size limit too; `max_size` alone keeps the other defaults.
        self.limits = limits or ArchiveLimits(max_member_size=max_size)
        self.user = user

    def use_json_gate(self, gate: JsonGate) -> None:
        self.limits = replace(self.limits, json_gate=gate)

    def iter_files(self) -> Iterator[Path | Skipped]:
        """Regular-file candidates under the root, and skip records for what is not read."""
        if not self.root.is_dir():
            yield self.root
            return
        errors: list[OSError] = []
        for dirpath, dirnames, filenames in walk(str(self.root), errors.append):
            yield from _unreadable(errors, dirpath)
            here = Path(dirpath)
            if here != self.root and self._layout(filenames) is not None:
                yield here  # read as one input by its layout reader
                dirnames[:] = []
                continue
            keep = []
            for entry in self._admit(here, (d for d in dirnames if d != ".git"), is_dir=True):
                if isinstance(entry, Skipped):
                    yield entry
                else:
                    keep.append(entry.name)
            dirnames[:] = keep
            yield from self._admit(here, filenames)
        yield from _unreadable(errors, None)

    def _admit(
        self, here: Path, names: Iterable[str], *, is_dir: bool = False
    ) -> Iterator[Path | Skipped]:
        """The entries of a directory the walk goes on with, in name order: not excluded,
        not symlinks (a symlink leaving the root becomes a skip record)."""
        for name in sorted(names):
            full = here / name
            rel = full.relative_to(self.root).as_posix()
            if self.excludes.is_excluded(rel, is_dir=is_dir and not full.is_symlink()):
                continue
            if full.is_symlink():
                skip = symlink_skip(self.root, full)
                if skip is not None:
                    yield skip
                continue
            yield full

    @staticmethod
    def _layout(filenames: Iterable[str]) -> TreeReader | None:
        return select_tree_reader(frozenset(filenames))

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        if self.root.is_dir():
            tree_reader = self._layout(os.listdir(self.root))
            if tree_reader is not None:
                yield from iter_dir_tree_items(self.root, tree_reader, self.limits, self.user)
                return
        for path in self.iter_files():
            if isinstance(path, Skipped):
                yield path
            elif path.is_dir():
                tree_reader = self._layout(os.listdir(path))
                if tree_reader is not None:
                    yield from iter_dir_tree_items(path, tree_reader, self.limits, self.user)
            else:
                yield from iter_path_items(path, self.limits, user=self.user)

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)
