"""Which paths `--exclude` and the config's `exclude` leave out, by gitignore rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pgsweep.sources.interface import SourceError

if TYPE_CHECKING:
    import pathspec


class ExcludeError(SourceError):
    """An exclude pattern that gitignore rules cannot read."""


class Excludes:
    """Exclude patterns read as the lines of a `.gitignore` at the scan root.

    `*.lock` and `vendor` match at any depth; a pattern with a slash (`/top.env`,
    `tests/fixtures/*`) is anchored at the root; `build/` matches only directories and
    everything under them; `**` crosses folders; `!pattern` re-includes what an earlier
    pattern excluded (not inside an excluded folder, as in git).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._spec = _gitignore_spec(self.patterns) if self.patterns else None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def is_excluded(self, rel: str, *, is_dir: bool = False) -> bool:
        """Whether a path relative to the root (`/`-separated) is left out; a folder's
        exclusion covers everything below it."""
        if self._spec is None or not rel:
            return False
        return bool(self._spec.match_file(rel + "/" if is_dir else rel))


def _gitignore_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """The patterns compiled; the first that gitignore rules cannot read is an error."""
    # Here, not at the top, for start-up time: pathspec (and the regex database it builds)
    # loads for a scan that has exclude patterns only.
    import pathspec

    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError:
            raise ExcludeError(f"exclude pattern {pattern!r} is not a gitignore pattern") from None
    return pathspec.GitIgnoreSpec.from_lines(patterns)
