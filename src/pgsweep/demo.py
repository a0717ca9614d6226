"""Build a demo git repository with leaks planted over several commits and branches."""

from __future__ import annotations

from pathlib import Path

from pgsweep.errors import PgsweepError


def build_demo(directory: Path) -> None:
    raise PgsweepError("demo repository builder not implemented yet")
