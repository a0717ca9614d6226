"""The progress line: counters, and an ETA wherever the total is known."""

from __future__ import annotations

import pytest

from pgsweep.cli.progress import Stages, eta, progress_line
from pgsweep.core.models import ScanStats


@pytest.mark.parametrize("elapsed, done, total, text", [
    (10.0, 1, 4, "ETA 0:30"),
    (10.0, 2, 4, "ETA 0:10"),
    (10.0, 4, 4, "ETA 0:00"),
    (100.0, 1, 100, "ETA 2:45:00"),
    (0.5, 1, 4, ""),     # under a second: nothing to go by yet
    (10.0, 0, 4, ""),    # nothing done
    (10.0, 3, 0, ""),    # no total known
])
def test_eta(elapsed: float, done: int, total: int, text: str) -> None:
    assert eta(elapsed, done, total) == text


def test_progress_line_has_an_eta_only_with_a_planned_total() -> None:
    stats = ScanStats(blobs=25, bytes=3_000_000, findings=2)
    assert progress_line(stats, 5.0) == "25 blobs · 3.0 MB · 0.6 MB/s · 2 findings"
    stats.planned_blobs = 100
    assert progress_line(stats, 5.0, "alice") == (
        "25/100 blobs · 3.0 MB · 0.6 MB/s · 2 findings · ETA 0:15 · alice")


def test_sweep_stages_count_homes_and_estimate_from_finished_ones() -> None:
    now = [100.0]
    stages = Stages(4, "home", clock=lambda: now[0])
    assert stages.status() == ""
    stages.begin("alice (/home/alice)")
    now[0] = 112.0
    assert stages.status() == "home 1/4: alice (/home/alice)"  # none finished yet
    stages.begin("bob (/home/bob)")
    assert stages.status() == "home 2/4: bob (/home/bob) · ETA 0:36"  # 12 s a home, 3 to go
    now[0] = 118.0
    stages.begin("carol (/home/carol)")
    assert stages.status() == "home 3/4: carol (/home/carol) · ETA 0:18"
