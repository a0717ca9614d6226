"""Rich progress on stderr for long scans: blobs, bytes, rate and ETA, cleared when done;
a no-op when stderr is not a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pgsweep.core.models import ScanStats

if TYPE_CHECKING:
    from rich.live import Live


def progress_line(stats: ScanStats, elapsed: float, status: str = "") -> str:
    """`scanning 1,234 blobs · 56.7 MB · 12.3 MB/s · 3 findings · ETA 0:42`."""
    rate = stats.bytes / elapsed / 1e6 if elapsed > 0 else 0.0
    parts = [f"{stats.blobs or stats.chunks:,} {'blobs' if stats.blobs else 'files'}"]
    if stats.planned_blobs:
        parts[0] = f"{stats.blobs:,}/{stats.planned_blobs:,} blobs"
    parts += [f"{stats.bytes / 1e6:,.1f} MB", f"{rate:,.1f} MB/s", f"{stats.findings} findings"]
    left = eta(elapsed, stats.blobs, stats.planned_blobs)
    if left:
        parts.append(left)
    return " · ".join(parts) + (f" · {status}" if status else "")


def eta(elapsed: float, done: float, total: float) -> str:
    """`ETA 1:05`: the time left if the rest goes as fast as what is done; empty while
    there is nothing to go by (no total, nothing done, under a second)."""
    if total <= 0 or done <= 0 or elapsed <= 1:
        return ""
    left = int(max(0.0, elapsed * (total - done) / done))
    return f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}" if left >= 3600 else (
        f"ETA {left // 60}:{left % 60:02d}")


class Stages:
    """Progress over a known number of stages (the homes of a sweep): which one runs, and
    an ETA from the time the finished ones took."""

    def __init__(self, total: int, noun: str, clock: Callable[[], float] = time.monotonic):
        self.total = total
        self.noun = noun
        self.clock = clock
        self.started = 0.0
        self.current = 0  # 1-based number of the stage running; 0 before the first
        self.label = ""

    def begin(self, label: str) -> None:
        """The next stage starts."""
        if self.current == 0:
            self.started = self.clock()
        self.current += 1
        self.label = label

    def status(self) -> str:
        """`home 3/7: bob (/home/bob) · ETA 0:12`; empty before the first stage."""
        if self.current == 0:
            return ""
        text = f"{self.noun} {self.current}/{self.total}: {self.label}"
        left = eta(self.clock() - self.started, self.current - 1, self.total)
        return f"{text} · {left}" if left else text


@contextmanager
def progress_reporter(
    enabled: bool, status: Callable[[], str] | None = None
) -> Iterator[Callable[[ScanStats], None] | None]:
    """An updater for the scan's counters; the line disappears when the scan ends."""
    if not enabled:
        yield None
        return
    from rich.markup import escape  # loaded with the live line (start-up time)

    started = time.monotonic()
    last = [0.0]
    with _live_on_stderr() as live:

        def update(stats: ScanStats) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25:
                return
            last[0] = now
            text = progress_line(stats, now - started, status() if status else "")
            live.update(f"[bold]scanning[/] {escape(text)}")

        yield update


@contextmanager
def repository_progress(enabled: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """A bar over an audit's repositories: done of total, and the findings so far."""
    if not enabled:
        yield None
        return
    with _live_on_stderr() as live:

        def update(done: int, total: int, findings: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            bar = "█" * filled + "░" * (width - filled)
            live.update(f"[bold]auditing[/] {bar} {done}/{total} repositories · "
                        f"{findings} findings")

        yield update


def _live_on_stderr() -> Live:
    """A live line on standard error that disappears when it ends."""
    # rich loads when a progress line is shown, not with every scan: start-up time
    from rich.console import Console
    from rich.live import Live

    return Live(console=Console(stderr=True), refresh_per_second=4, transient=True)
