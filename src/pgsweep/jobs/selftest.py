"""Run signatures' embedded examples through the real detector and filters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pgsweep.core.models import Chunk, FileProvenance, Finding, ScanStats, Severity
from pgsweep.detectors.signatures import Example, Signature


@dataclass(frozen=True)
class ExampleResult:
    name: str  # e.g. "pg.uri.1/example[2]"
    ok: bool
    message: str = ""


def findings_for(sig: Signature, ex: Example) -> list[Finding]:
    """Findings the full pipeline (detector, decoders, filters) keeps for one example."""
    from pgsweep.findings.pipeline import Scanner

    scanner = Scanner([sig])
    chunk = Chunk(ex.text.encode("utf-8"), FileProvenance(path=ex.path or "example.txt"))
    return [f for f in scanner.scan_chunk(chunk, ScanStats()) if f.rule == sig.id]


def _field(f: Finding, key: str) -> Any:
    if key == "password":
        return f.secret
    if key == "hosts":
        return list(f.hosts)
    if key == "ports":
        return list(f.ports)
    if key == "host":
        return f.host
    if key == "port":
        return f.port
    if key in ("kind", "severity"):
        return str(getattr(f, key))
    if key == "params":
        return dict(f.params)
    if key == "count":
        return None
    return getattr(f, key)


def matches(f: Finding, expect: dict[str, Any]) -> bool:
    for key, want in expect.items():
        if key == "count":
            continue
        got = _field(f, key)
        if key == "params":
            if any(got.get(k) != str(v) for k, v in want.items()):
                return False
        elif key in ("port",) and want is not None:
            if str(got) != str(want):
                return False
        elif got != want:
            return False
    return True


def check_example(sig: Signature, ex: Example, positive: bool) -> str | None:
    """None when the example behaves; otherwise what went wrong (never the secret)."""
    found = findings_for(sig, ex)
    if not positive:
        # a placeholder-like value may be reported at info, never above
        loud = [f for f in found if f.severity > Severity.INFO]
        return f"negative example matched ({len(loud)} findings)" if loud else None
    if not found:
        return "positive example not detected"
    if "count" in ex.expect and len(found) != int(ex.expect["count"]):
        return f"expected {ex.expect['count']} findings, got {len(found)}"
    if ex.expect and not any(matches(f, dict(ex.expect)) for f in found):
        shown = [k for k in ex.expect if k not in ("password", "count")]
        got = [{k: _field(f, k) for k in shown} for f in found]
        return f"no finding has the expected fields; non-secret fields found: {got}"
    return None


def run_examples(sigs: Sequence[Signature]) -> Iterator[ExampleResult]:
    for sig in sigs:
        for i, ex in enumerate(sig.examples):
            msg = check_example(sig, ex, True)
            yield ExampleResult(f"{sig.id}/example[{i}]", msg is None, msg or "")
        for i, ex in enumerate(sig.negative_examples):
            msg = check_example(sig, ex, False)
            yield ExampleResult(f"{sig.id}/negative[{i}]", msg is None, msg or "")
