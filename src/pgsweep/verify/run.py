"""Compose verification: gather findings (a fresh scan or the store), verify, record."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pgsweep.core.models import Finding
from pgsweep.verify.interface import Status, VerificationResult, Verifier, VerifyError
from pgsweep.verify.targets import iter_targets

METHOD_ORDER = {"offline": 0, "live": 1}


def findings_from_scan(path: str) -> list[Finding]:
    """Scan PATH now (needed when the store keeps only hashes: --no-store-secrets)."""
    from pgsweep.core.options import ScanOptions
    from pgsweep.detectors import signatures
    from pgsweep.findings.pipeline import Scanner
    from pgsweep.sources.select import open_source

    opts = ScanOptions(path=path)
    scanner = Scanner(signatures.load(), use_hyperscan=opts.use_hyperscan)
    return list(scanner.run(open_source(opts)).findings)


def _store_module() -> Any:
    try:
        return importlib.import_module("pgsweep.store")
    except ModuleNotFoundError as exc:
        if exc.name != "pgsweep.store":
            raise
        raise VerifyError("this build has no findings store; pass --scan PATH") from None


def findings_from_store(path: Path | None, target: str | None = None) -> list[Finding]:
    """Every finding in the store (of one target: a path or number from `pgsweep targets`),
    with its decrypted secret ("" if not stored)."""
    with _store_module().Store.open(path, create=False) as store:
        tid = store.resolve_target(target).id if target is not None else None
        return list(store.findings(target=tid))


def default_store_exists() -> bool:
    """Whether the default store exists (a `--scan` run then records into it)."""
    try:
        return bool(_store_module().default_store_path().exists())
    except VerifyError:
        return False


def record_results(path: Path | None, results: Sequence[VerificationResult]) -> int:
    """Keep each result of a credential the store knows; returns how many were recorded.

    A skipped result checked nothing (a credential of another server than the verifier
    file's, no secret to try): it is not recorded, so it never hides an earlier verdict.
    """
    with _store_module().Store.open(path, create=False) as store:
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
