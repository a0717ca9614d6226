"""Turn findings (from a scan or the store) into one verification target per credential."""

from __future__ import annotations

from collections.abc import Iterable

from pgsweep.core.models import Finding
from pgsweep.parsers.sslmode import sslmode_of
from pgsweep.verify.interface import Target


def iter_targets(findings: Iterable[Finding]) -> list[Target]:
    """One target per credential id, from its first finding that carries the secret.

    Findings of one credential share user, password and host set; the first one also
    supplies ports, database and sslmode.
    """
    chosen: dict[str, Finding] = {}
    for f in findings:
        held = chosen.get(f.credential)
        if held is None or (not held.secret and f.secret):
            chosen[f.credential] = f
    return [
        Target(
            credential=f.credential,
            user=f.user,
            hosts=f.hosts,
            ports=f.ports,
            database=f.database,
            sslmode=sslmode_of(f.params),
            kind=f.kind,
            secret=f.secret,
        )
        for f in chosen.values()
    ]
