"""Rich progress on stderr for long scans; a no-op when stderr is not a terminal."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live

from pgsweep.models import ScanStats


@contextmanager
def progress_reporter(enabled: bool) -> Iterator[Callable[[ScanStats], None] | None]:
    if not enabled:
        yield None
        return
    console = Console(stderr=True)
    last = [0.0]
    with Live(console=console, refresh_per_second=4, transient=True) as live:

        def update(stats: ScanStats) -> None:
            now = time.monotonic()
            if now - last[0] < 0.25:
                return
            last[0] = now
            live.update(
                f"[bold]scanning[/] {stats.chunks:,} chunks · {stats.blobs:,} blobs · "
                f"{stats.bytes / 1e6:,.1f} MB · {stats.findings} findings"
            )

        yield update
