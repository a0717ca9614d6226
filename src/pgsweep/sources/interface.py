"""The source interface: chunks (or skip records) in, attribution of findings out; and the
capabilities some sources add (sharing a scan out between processes, naming their tips)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Chunk, Finding, Skipped
from pgsweep.detectors.json_gate import JsonGate


class SourceError(PgsweepError):
    """The source as a whole cannot be read (not a repository, path missing…)."""


@runtime_checkable
class Source(Protocol):
    """Yields every chunk to scan; skipped inputs are yielded as data, not raised."""

    def iter_items(self) -> Iterator[Chunk | Skipped]: ...

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        """Fill in provenance that is costly to compute (git: commit, path, author)."""
        ...


@dataclass(frozen=True)
class Shards:
    """A scan shared out: `count` sources that together read exactly what the one source
    reads. `open(k)` makes shard k; it runs in worker processes forked after this was made,
    which inherit it (and whatever it holds: open files, locks) rather than receive a copy."""

    count: int
    open: Callable[[int], Source]


@runtime_checkable
class SplittableSource(Source, Protocol):
    """A source a parallel scan can share out between worker processes."""

    def shards(self, n: int) -> Shards | None:
        """n shards, or None when the scan is too small to gain from it or its mode cannot
        be split."""
        ...

    def fill_shards(self) -> int | None:
        """Prepare the shards' work (after the workers are forked, so they start without
        it); how many items they will read, when known."""
        ...


@runtime_checkable
class GatedSource(Source, Protocol):
    """A source whose layout readers may leave undecoded the JSON records that cannot hold
    a keyword (`pgsweep.detectors.json_gate`)."""

    def use_json_gate(self, gate: JsonGate) -> None: ...


@runtime_checkable
class TippedSource(Source, Protocol):
    """A source that starts from commits (a git history): what a later incremental scan
    may leave out."""

    def tips(self) -> list[str]: ...
