"""Random access to the files of a zip, a tar or a folder (the `Tree` a layout reader reads)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from pgsweep.readers.interface import TreeEntry


def _iso(ts: float) -> str | None:
    try:
        return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


class ZipTree:
    """A zip archive's members; each is decompressed only when opened."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(fileobj)
        self._entries: list[TreeEntry] = []
        self._skipped: list[tuple[str, str]] = []
        for zi in self.zip.infolist():
            if zi.is_dir():
                continue
            if zi.flag_bits & 0x1:
                self._skipped.append((zi.filename, "archive: encrypted member"))
                continue
            unix_mode = (zi.external_attr >> 16) & 0o7777
            try:
                mtime = datetime(*zi.date_time, tzinfo=UTC).isoformat(timespec="seconds")
            except ValueError:
                mtime = None
            self._entries.append(TreeEntry(zi.filename, zi.file_size,
                                           f"{unix_mode:04o}" if unix_mode else None, mtime))

    def entries(self) -> list[TreeEntry]:
        return self._entries

    def skipped(self) -> list[tuple[str, str]]:
        return self._skipped

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(name)

    def close(self) -> None:
        self.zip.close()


class _Span(io.RawIOBase):
    """The bytes `start` to `start + size` of a seekable file: an uncompressed tar's member
    read straight from the tar, without tarfile's layers of buffering in between."""

    def __init__(self, fileobj: IO[bytes], start: int, size: int) -> None:
        super().__init__()
        self.fileobj, self.start, self.size, self.pos = fileobj, start, size, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        want = self.size - self.pos if size is None or size < 0 else size
        want = min(want, self.size - self.pos)
        if want <= 0:
            return b""
        self.fileobj.seek(self.start + self.pos)
        data = self.fileobj.read(want)
        if len(data) != want:
            raise tarfile.ReadError("unexpected end of data")
        self.pos += want
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class TarTree:
    """A tar's members, found by reading headers only (the data of an uncompressed tar is
    seeked over; a compressed one is decompressed once to list it, again to open a member)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.tar = tarfile.open(fileobj=fileobj, mode="r:*")  # noqa: SIM115 - closed by close()
        # uncompressed: each member is a span of the file itself
        self._plain: IO[bytes] | None = fileobj if self.tar.fileobj is fileobj else None
        self._members: dict[str, tarfile.TarInfo] = {}
        self._entries: list[TreeEntry] = []
        self._skipped: list[tuple[str, str]] = []
        for ti in self.tar.getmembers():
            name = ti.name.removeprefix("./")
            if ti.isfile():
                self._members[name] = ti
                self._entries.append(TreeEntry(name, ti.size, f"{ti.mode & 0o7777:04o}",
                                               _iso(ti.mtime), ti.uname or str(ti.uid)))
            elif ti.issym() or ti.islnk():
                self._skipped.append((name, "archive: link member not followed"))
            elif not ti.isdir():
                self._skipped.append((name, "archive: special member (device, FIFO)"))

    def entries(self) -> list[TreeEntry]:
        return self._entries

    def skipped(self) -> list[tuple[str, str]]:
        return self._skipped

    def open(self, name: str) -> IO[bytes]:
        ti = self._members[name]
        if self._plain is not None and not ti.sparse:
            return cast(IO[bytes], _Span(self._plain, ti.offset_data, ti.size))
        fh = self.tar.extractfile(ti)
        if fh is None:
            raise OSError(f"{name}: not readable as a file")
        return fh

    def close(self) -> None:
        self.tar.close()


class DirTree:
    """The regular files under a folder; symlinks are not followed, each one is a skip."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._entries: list[TreeEntry] = []
        self._skipped: list[tuple[str, str]] = []
        errors: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
            dirnames.sort()
            for name in sorted(filenames) + [d for d in dirnames
                                              if os.path.islink(os.path.join(dirpath, d))]:
                full = Path(dirpath, name)
                rel = full.relative_to(root).as_posix()
                try:
                    st = full.lstat()
                except OSError as exc:
                    self._skipped.append((rel, f"unreadable: {exc.strerror or exc}"))
                    continue
                if stat.S_ISLNK(st.st_mode):
                    self._skipped.append((rel, "symlink"))
                elif not stat.S_ISREG(st.st_mode):
                    self._skipped.append((rel, "not a regular file"))
                else:
                    self._entries.append(TreeEntry(rel, st.st_size,
                                                   f"{stat.S_IMODE(st.st_mode):04o}",
                                                   _iso(st.st_mtime)))
        for err in errors:
            where = Path(err.filename or root)
            rel = where.relative_to(root).as_posix() if where != root else "."
            self._skipped.append((rel, f"unreadable directory: {err.strerror or err}"))

    def entries(self) -> list[TreeEntry]:
        return self._entries

    def skipped(self) -> list[tuple[str, str]]:
        return self._skipped

    def open(self, name: str) -> IO[bytes]:
        fd = os.open(self.root / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    def close(self) -> None:
        return None

