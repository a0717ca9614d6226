"""The remote stage's base error: a repository that cannot be mirrored or listed."""

from __future__ import annotations

from pgsweep.core.errors import PgsweepError


class RemoteError(PgsweepError):
    """A remote repository or forge cannot be reached, read or listed; the message is one
    line and holds no credential."""
