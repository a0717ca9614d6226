"""Files a report is written to: checked (missing folders made) before any work, and
created private (0600) when they hold plaintext secrets."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TextIO

from pgsweep.core.errors import PgsweepError


class OutputError(PgsweepError):
    """An output file cannot be written."""


def _is_under(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


def _may_create_folders_at(anchor: Path) -> bool:
    """Missing folders are made only below the current folder or the home (where a user
    expects `-o reports/x.json` or `-o ~/case-42/x.json` to just work), never at `/`."""
    if anchor == Path(anchor.anchor):
        return False
    bases = [Path(os.path.realpath(Path.cwd()))]
    with contextlib.suppress(RuntimeError, KeyError):
        bases.append(Path(os.path.realpath(Path.home())))
    real = Path(os.path.realpath(anchor))
    return any(_is_under(real, b) and b != Path(b.anchor) for b in bases)


def prepare_output(path: Path | None) -> None:
    """Raise OutputError now, before a scan, when the report could not be written to `path`.

    Missing parent folders are created when the nearest existing folder is the current
    folder, the home, or below either; elsewhere they must exist. Nothing is written to
    `path` itself: an existing file is opened for writing and closed untouched, and a new
    one is tried as a temporary file beside it.
    """
    if path is None:
        return
    path = Path(os.path.abspath(path.expanduser()))
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, not a file")
    parent = path.parent
    missing: list[Path] = []
    anchor = parent
    while not os.path.lexists(anchor):
        missing.append(anchor)
        anchor = anchor.parent
    if not anchor.is_dir():
        raise OutputError(f"{path}: {anchor} is not a folder")
    if missing:
        if not _may_create_folders_at(anchor):
            raise OutputError(
                f"{path}: folder {missing[-1]} does not exist (pgsweep creates missing "
                "folders only under the current folder or your home)"
            )
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot create folder {missing[-1]}: {exc.strerror or exc}") from None
    try:
        if os.path.lexists(path):
            if path.exists() and not stat.S_ISREG(path.stat().st_mode):
                return  # a device or pipe (/dev/stdout): opened when the report is written
            os.close(os.open(path, os.O_WRONLY))
        else:
            fd, probe = tempfile.mkstemp(dir=parent, prefix=".pgsweep-check-")
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def open_output(path: Path, *, private: bool) -> TextIO:
    """`path` opened for writing text (truncated). `private`: the file holds plaintext
    secrets, so it is created 0600 (an existing file is made 0600 before anything is
    written to it)."""
    path = path.expanduser()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if private and stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except OSError as exc:
        os.close(fd)
        raise OutputError(
            f"{path}: cannot make the file private (it will hold secrets): "
            f"{exc.strerror or exc}") from None
    return os.fdopen(fd, "w", encoding="utf-8")
