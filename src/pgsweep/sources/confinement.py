"""Keep a sweep inside its root: paths resolved under the root, and git repositories whose
git would read files outside it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pgsweep.sources.files import is_within

OUT_OF_ROOT = "leads out of the root (not read)"


def inside(root: Path, path: Path) -> Path | None:
    """`path` with every symlink and `..` resolved, spelled under `root`, when it stays
    inside the root; None when it leads out."""
    try:
        real = os.path.realpath(path)
        base = os.path.realpath(root)
    except (OSError, ValueError):
        return None
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return root / os.path.relpath(real, base)


def is_dir_within(root: Path, path: Path) -> bool:
    """A folder that is `root` or inside it once symlinks and `..` are resolved."""
    return is_within(root, path) and path.is_dir()


def repository_escape(root: Path, repo: Path) -> str | None:
    """Why git would read outside `root` for the repository at `repo` (None: it would
    not): its `.git` (a symlink, or a `gitdir:` file) leading out, a linked worktree's
    common folder, object stores borrowed through `alternates`, a symlink among the git
    folder's own files, or a config file including one from outside."""
    dot = repo / ".git"
    if inside(root, dot) is None:
        return f".git {OUT_OF_ROOT}"
    git_dir = dot
    if dot.is_file():
        target = _pointer(dot, "gitdir:")
        if target is None:
            return None  # not a repository git can open: GitSource says so
        git_dir = dot.parent / target
        if inside(root, git_dir) is None:
            return f".git file names a git folder that {OUT_OF_ROOT}"
    dirs = [git_dir]
    common = _pointer(git_dir / "commondir", "")
    if common is not None:
        dirs.append(git_dir / common)
    for d in dirs:
        escape = _git_dir_escape(root, d)
        if escape is not None:
            return escape
    return None


def _git_dir_escape(root: Path, d: Path) -> str | None:
    """Why git would read outside `root` through the git folder `d` (None: it would not)."""
    if inside(root, d) is None:
        return f"common git folder {OUT_OF_ROOT}"
    for sub in (d, d / "objects", d / "objects" / "pack", d / "objects" / "info"):
        try:
            entries = list(os.scandir(sub))
        except OSError:
            continue
        if any(e.is_symlink() and inside(root, Path(e.path)) is None for e in entries):
            return f"a file of the git folder {OUT_OF_ROOT}"
    for refs_dir, _, files in os.walk(d / "refs"):
        if any(inside(root, Path(refs_dir) / name) is None for name in files):
            return f"a ref file {OUT_OF_ROOT}"
    objects = d / "objects"
    for line in _lines(objects / "info" / "alternates"):
        if line and not line.startswith("#") and inside(root, objects / line) is None:
            return f"alternates name an object folder that {OUT_OF_ROOT}"
    for line in _config_includes(d / "config"):
        if line.startswith("~") or inside(root, d / line) is None:
            return f"git config includes a file that {OUT_OF_ROOT}"
    return None


_INCLUDE_RE = re.compile(r"^\s*path\s*=\s*(.+?)\s*$", re.IGNORECASE)


def _lines(path: Path, limit: int = 1 << 16) -> list[str]:
    """The lines of a small text file (none when it is missing, odd or large)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return []
        return [ln.strip() for ln in path.read_text("utf-8", "replace").splitlines()]
    except OSError:
        return []


def _pointer(path: Path, prefix: str) -> str | None:
    """The path a one-line pointer file (`.git`: `gitdir: X`; `commondir`: `X`) names."""
    for line in _lines(path)[:1]:
        if line.startswith(prefix) and line[len(prefix):].strip():
            return line[len(prefix):].strip()
    return None


def _config_includes(config: Path) -> list[str]:
    """`path =` values of a git config's `[include]` and `[includeIf …]` sections."""
    out: list[str] = []
    section = ""
    for line in _lines(config):
        if line.startswith("["):
            section = line.lower()
        elif section.startswith("[include"):
            m = _INCLUDE_RE.match(line)
            if m:
                out.append(m.group(1).strip('"'))
    return out
