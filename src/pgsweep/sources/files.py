"""Files and folders on disk as chunks (plain text reader; format readers plug in here)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from fnmatch import fnmatch
from pathlib import Path

from pgsweep.models import Chunk, FileProvenance, Finding, Skipped
from pgsweep.sources.interface import SourceError

DEFAULT_MAX_SIZE = 10 * 1024 * 1024


def is_binary(data: bytes) -> bool:
    """NUL in the first 8 KiB, as git decides."""
    return b"\x00" in data[:8192]


def file_meta(st: os.stat_result) -> dict[str, str]:
    try:
        import pwd

        owner = pwd.getpwuid(st.st_uid).pw_name
    except (KeyError, ImportError):
        owner = str(st.st_uid)
    return {
        "owner": owner,
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
        "mtime": datetime.fromtimestamp(st.st_mtime, tz=timezone.utc).isoformat(timespec="seconds"),
    }


class FileSource:
    """Walks a file or folder without following symlinks out of it."""

    def __init__(
        self,
        root: Path,
        excludes: Sequence[str] = (),
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        if not root.exists():
            raise SourceError(f"{root}: no such file or directory")
        self.root = root
        self.excludes = tuple(excludes)
        self.max_size = max_size

    def _excluded(self, rel: str) -> bool:
        return any(fnmatch(rel, g) or fnmatch(Path(rel).name, g) for g in self.excludes)

    def iter_paths(self) -> Iterator[Path | Skipped]:
        if self.root.is_file():
            yield self.root
            return
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=None, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = str(path.relative_to(self.root))
                if self._excluded(rel):
                    continue
                if path.is_symlink():
                    continue
                yield path

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        for path in self.iter_paths():
            if isinstance(path, Skipped):
                yield path
                continue
            try:
                st = path.stat()
                if st.st_size > self.max_size:
                    yield Skipped(str(path), "too large")
                    continue
                data = path.read_bytes()
            except OSError as exc:
                yield Skipped(str(path), f"unreadable: {exc.strerror or exc}")
                continue
            if is_binary(data):
                yield Skipped(str(path), "binary")
                continue
            yield Chunk(data=data, provenance=FileProvenance(path=str(path), **file_meta(st)))

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)
