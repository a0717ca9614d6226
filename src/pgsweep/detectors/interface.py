"""The detector interface: a chunk in, candidates out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pgsweep.core.models import Candidate, Chunk


class DetectorError(Exception):
    """A detector could not be built (bad signatures); never raised per chunk."""


class Detector(Protocol):
    """Finds candidate credentials in a chunk."""

    def iter_candidates(self, chunk: Chunk) -> Iterator[Candidate]: ...
