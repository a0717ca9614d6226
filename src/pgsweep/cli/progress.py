"""Rich progress on stderr for long scans: blobs, bytes, rate and ETA, cleared when done;
a no-op when stderr is not a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.markup import escape

from pgsweep.core.models import ScanStats


def progress_line(stats: ScanStats, elapsed: float, status: str = "") -> str:
    """`scanning 1,234 blobs · 56.7 MB · 12.3 MB/s · 3 findings · ETA 0:42`."""
    rate = stats.bytes / elapsed / 1e6 if elapsed > 0 else 0.0
    parts = [f"{stats.blobs or stats.chunks:,} {'blobs' if stats.blobs else 'files'}"]
    if stats.planned_blobs:
        parts[0] = f"{stats.blobs:,}/{stats.planned_blobs:,} blobs"
    parts += [f"{stats.bytes / 1e6:,.1f} MB", f"{rate:,.1f} MB/s", f"{stats.findings} findings"]
    if stats.planned_blobs and stats.blobs and elapsed > 1:
        left = max(0.0, elapsed * (stats.planned_blobs - stats.blobs) / stats.blobs)
        parts.append(f"ETA {int(left) // 60}:{int(left) % 60:02d}")
    return " · ".join(parts) + (f" · {status}" if status else "")


@contextmanager
def progress_reporter(
    enabled: bool, status: Callable[[], str] | None = None
) -> Iterator[Callable[[ScanStats], None] | None]:
    """An updater for the scan's counters; the line disappears when the scan ends."""
    if not enabled:
        yield None
        return
    console = Console(stderr=True)
    started = time.monotonic()
    last = [0.0]
    with Live(console=console, refresh_per_second=4, transient=True) as live:

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
    console = Console(stderr=True)
    with Live(console=console, refresh_per_second=4, transient=True) as live:

        def update(done: int, total: int, findings: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            bar = "█" * filled + "░" * (width - filled)
            live.update(f"[bold]auditing[/] {bar} {done}/{total} repositories · "
                        f"{findings} findings")

        yield update
