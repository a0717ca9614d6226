"""Read a list of repositories: one URL or path a line, `#` comments, blank lines ignored."""

from __future__ import annotations

import sys
from pathlib import Path

from pgsweep.core.errors import PgsweepError
from pgsweep.remote import urls

MAX_LINE = 4096


def parse_lines(text: str, base: Path) -> list[str]:
    """Each entry of `text`: a URL as written, or a path made absolute against `base`.

    A line starting with `#` is a comment, and so is what follows ` #` on a line.
    """
    out: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE:
            raise PgsweepError(f"line {n}: longer than {MAX_LINE} characters")
        if urls.is_remote(line):
            out.append(line)
        else:
            out.append(str((base / Path(line).expanduser()).resolve()))
    return out


def read_repos_file(path: Path) -> list[str]:
    """The entries of the file at `path` ("-": standard input); relative paths are taken
    from the file's folder (the current folder for standard input)."""
    try:
        if str(path) == "-":
            return parse_lines(sys.stdin.read(), Path.cwd())
        if not path.is_file():
            raise PgsweepError(f"{path}: no such file")
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise PgsweepError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return parse_lines(text, path.resolve().parent)
    except PgsweepError as exc:
        raise PgsweepError(f"{path}: {exc}") from None
