"""Compose the stages: source → chunks → detector → filters → findings → credentials."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from pgsweep import credentials as credentials_mod
from pgsweep import filters as filters_mod
from pgsweep.decoders import iter_decoded
from pgsweep.detectors.engine import SignatureDetector, Windows, merge_windows
from pgsweep.fingerprint import credential_id, finding_id, fingerprint
from pgsweep.models import (
    Candidate,
    Chunk,
    Credential,
    Finding,
    GitProvenance,
    ScanStats,
    Severity,
    Skipped,
    provenance_path,
)
from pgsweep.signatures import Signature
from pgsweep.sources.interface import Source

Progress = Callable[[ScanStats], None]


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced."""

    findings: tuple[Finding, ...]
    credentials: tuple[Credential, ...]
    stats: ScanStats
    signatures: tuple[Signature, ...] = field(default=(), repr=False)


def _where(chunk: Chunk) -> str:
    p = chunk.provenance
    if isinstance(p, GitProvenance):
        return f"git:{p.blob}"
    return f"{p.kind}:{provenance_path(p)}:{getattr(p, 'timestamp', '') or ''}"


def is_signature_file(data: bytes) -> bool:
    """pgsweep's own signature files carry examples on purpose."""
    if b"negative_examples:" not in data:
        return False
    return data.startswith(b"id: pg.") or b"\nid: pg." in data or b"- id: pg." in data


class Scanner:
    """Runs the detector and filters over chunks; one instance per scan."""

    def __init__(
        self,
        signatures: Sequence[Signature],
        filters: Sequence[tuple[str, filters_mod.Filter]] = filters_mod.DEFAULT_FILTERS,
        use_hyperscan: bool = True,
    ) -> None:
        self.signatures = tuple(signatures)
        self.detector = SignatureDetector(self.signatures, use_hyperscan=use_hyperscan)
        self.filters = tuple(filters)

    def scan_chunk(self, chunk: Chunk, stats: ScanStats) -> list[Finding]:
        """Findings of one chunk and of the chunks decoded from it."""
        windows = self.detector.windows(chunk)
        kept = self.iter_kept(chunk, stats, windows) if windows else []
        derived_chunks = [] if chunk.decoded else list(
            iter_decoded(chunk, merge_windows([w for ws in windows.values() for w in ws]))
        )
        if not kept and not derived_chunks:
            return []
        example_file = is_signature_file(chunk.data)
        out = [self.to_finding(chunk, c, example_file) for c in kept]
        seen = {f.id for f in out}
        for derived in derived_chunks:
            for c in self.iter_kept(derived, stats):
                f = self.to_finding(derived, c, example_file)
                # a derived chunk repeats the undecoded lines too: report each once
                if f.id not in seen:
                    seen.add(f.id)
                    out.append(f)
        return out

    def iter_kept(
        self, chunk: Chunk, stats: ScanStats, windows: Windows | None = None
    ) -> list[Candidate]:
        kept = []
        for c in self.detector.iter_candidates(chunk, windows):
            stats.candidates += 1
            reason = filters_mod.suppression_reason(c, self.filters)
            if reason is None:
                kept.append(c)
            else:
                stats.suppress(reason)
        return kept

    def to_finding(self, chunk: Chunk, c: Candidate, example_file: bool = False) -> Finding:
        p = c.parsed
        secret = p.password or ""
        fp = fingerprint(secret)
        cid = credential_id(fp, p.user, p.hosts)
        severity = c.severity
        if (
            example_file
            or filters_mod.is_local_only(p.hosts)
            or filters_mod.is_user_as_password(p.user, p.password)
        ):
            severity = min(severity, Severity.LOW)
        line = chunk.original_line(c.line)
        return Finding(
            id=finding_id(cid, c.rule, _where(chunk), line),
            rule=c.rule,
            kind=p.kind,
            provenance=chunk.provenance,
            line=line,
            secret=secret,
            fingerprint=fp,
            user=p.user,
            hosts=p.hosts,
            ports=p.ports,
            database=p.database,
            params=p.params,
            severity=severity,
            credential=cid,
        )

    def run(self, source: Source, progress: Progress | None = None) -> ScanResult:
        """Scan every chunk of `source`, then attribute and group the findings."""
        stats = ScanStats()
        started = time.monotonic()
        findings: list[Finding] = []
        seen: set[tuple[str, int, str]] = set()
        for item in source.iter_items():
            if isinstance(item, Skipped):
                stats.skip(item)
                continue
            stats.chunks += 1
            stats.bytes += len(item.data)
            if isinstance(item.provenance, GitProvenance):
                stats.blobs += 1
            for f in self.scan_chunk(item, stats):
                key = (f.id, f.line, f.rule)
                if key not in seen:
                    seen.add(key)
                    findings.append(f)
            if progress is not None:
                stats.findings = len(findings)
                progress(stats)
        findings = list(source.attribute(findings))
        stats.findings = len(findings)
        stats.seconds = round(time.monotonic() - started, 3)
        stats.peak_rss_mib = _peak_rss_mib()
        return ScanResult(
            findings=tuple(findings),
            credentials=tuple(credentials_mod.group(findings)),
            stats=stats,
            signatures=self.signatures,
        )


def _peak_rss_mib() -> float:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0.0
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def with_severity(f: Finding, severity: Severity) -> Finding:
    return replace(f, severity=severity)
