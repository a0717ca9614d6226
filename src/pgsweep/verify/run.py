"""Compose verification: gather findings (a fresh scan or the store), verify, record."""

from __future__ import annotations

from collections.abc import Sequence

from pgsweep.core.models import Finding
from pgsweep.store import Store, StoreError, StoreLocation, default_store_path
from pgsweep.verify.interface import Status, VerificationResult, Verifier
from pgsweep.verify.targets import iter_targets

METHOD_ORDER = {"offline": 0, "live": 1}


def findings_from_store(path: StoreLocation | None, target: str | None = None) -> list[Finding]:
    """Every finding in the store (of one target: a path or number from `pgsweep targets`),
    with its decrypted secret ("" if not stored)."""
    with Store.open(path, create=False) as store:
        tid = store.resolve_target(target).id if target is not None else None
        return list(store.findings(target=tid))


def default_store_exists() -> bool:
    """Whether the default store exists (a `--scan` run then records into it)."""
    try:
        return default_store_path().exists()
    except (StoreError, OSError):
        return False


def record_results(path: StoreLocation | None, results: Sequence[VerificationResult]) -> int:
    """Keep each result of a credential the store knows; returns how many were recorded.

    A skipped result checked nothing (a credential of another server than the verifier
    file's, no secret to try): it is not recorded, so it never hides an earlier verdict.
    """
    with Store.open(path, create=False) as store:
        known = {c.id for c in store.credentials()}
        kept = [r for r in results if r.credential in known and r.status is not Status.SKIPPED]
        for r in kept:
            store.record_verification(r.credential, r.method, r.status.value, dict(r.detail))
    return len(kept)


def verify_findings(
    findings: Sequence[Finding], verifiers: Sequence[Verifier]
) -> list[VerificationResult]:
    """Each verifier over one target per credential; results grouped by credential."""
    targets = iter_targets(findings)
    order = {t.credential: i for i, t in enumerate(targets)}
    results: list[VerificationResult] = []
    for verifier in verifiers:
        results.extend(verifier.verify(targets))
    results.sort(key=lambda r: (order[r.credential], METHOD_ORDER.get(r.method, 9)))
    return results
