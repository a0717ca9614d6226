"""Test helper: turn a hang into a test failure (a hang detector, not a speed limit)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

# Far above what any of these inputs costs at linear speed (well under 2 s each here) and
# far below what a superlinear regex costs on them (minutes to hours).
HANG_SECONDS = 30


class Hang(Exception):
    """The guarded block was still running when the alarm went off."""


@contextmanager
def no_hang(what: str, seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail the test when the block runs for `seconds` (Python's re checks signals, so an
    alarm interrupts even a backtracking match)."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Hang:
        pytest.fail(f"{what}: still running after {seconds} s (a hang)")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
