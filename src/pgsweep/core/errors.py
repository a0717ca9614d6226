"""The base error of every subsystem; the CLI turns these into one line and exit code 2."""

from __future__ import annotations


class PgsweepError(Exception):
    """A failure of the whole run (bad input path, unreadable repository, bad option)."""
