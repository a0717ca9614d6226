"""Compose the stages: source → chunks → detector → filters → findings → credentials."""

from __future__ import annotations

import copy
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pgsweep.core.evolve import evolve
from pgsweep.core.models import (
    Candidate,
    Chunk,
    Credential,
    CredentialId,
    Finding,
    GitProvenance,
    ParsedCredential,
    ScanStats,
    Severity,
    Skipped,
    place_key,
)
from pgsweep.detectors import filters as filters_mod
from pgsweep.detectors.decoders import decoding_wins, iter_decoded
from pgsweep.detectors.engine import SignatureDetector, Windows, merge_windows
from pgsweep.detectors.host_names import is_local_only
from pgsweep.detectors.signatures import Signature
from pgsweep.findings import credentials as credentials_mod
from pgsweep.findings.fingerprint import (
    credential_id,
    finding_id,
    fingerprint,
    provisional_fingerprint,
    seal,
)
from pgsweep.findings.parallel import (
    Progress,
    WorkerContext,
    add_unique,
    peak_rss_mib,
    run_parallel,
)
from pgsweep.findings.scrub import SecretSet, scrub_finding, scrub_stats
from pgsweep.sources.interface import GatedSource, Shards, Source, SplittableSource

# Verdicts and credential ids a scanner keeps at most; it starts afresh when full.
_REMEMBERED = 65536
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced."""

    findings: tuple[Finding, ...]
    credentials: tuple[Credential, ...]
    stats: ScanStats
    signatures: tuple[Signature, ...] = field(default=(), repr=False)


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
        info_rules: Sequence[tuple[str, filters_mod.Filter]] = filters_mod.INFO_RULES,
        prefilter: str | None = None,
    ) -> None:
        self.signatures = tuple(signatures)
        self.detector = SignatureDetector(
            self.signatures, use_hyperscan=use_hyperscan, engine=prefilter)
        self.filters = tuple(filters)
        self.info_rules = tuple(info_rules)
        # workers of a parallel scan use the provisional one; the coordinator seals
        self.fingerprint_of: Callable[[str], str] = fingerprint
        self._verdicts: dict[tuple[ParsedCredential, str], tuple[str | None, bool]] = {}
        self._ids: dict[tuple[str, str | None, tuple[str, ...]], tuple[str, CredentialId]] = {}

    def scan_chunk(self, chunk: Chunk, stats: ScanStats) -> list[Finding]:
        """Findings of one chunk and of the chunks decoded from it."""
        windows = self.detector.windows(chunk)
        kept = self.iter_kept(chunk, stats, windows) if windows or chunk.handed else []
        derived_chunks = [] if chunk.decoded else list(
            iter_decoded(chunk, merge_windows([w for ws in windows.values() for w in ws]))
        )
        derived_kept = [(d, c) for d in derived_chunks for c in self.iter_kept(d, stats)]
        if not kept and not derived_kept:
            return []
        example_file = is_signature_file(chunk.data)
        out = [self.to_finding(chunk, c, example_file) for c in kept]
        seen = {f.id for f in out}
        decoded: list[Finding] = []
        for derived, c in derived_kept:
            f = self.to_finding(derived, c, example_file)
            # a derived chunk repeats the undecoded lines too: report each once
            if f.id not in seen:
                seen.add(f.id)
                decoded.append(f)
        return one_reading(out, decoded)

    def scan_items(
        self,
        items: Iterable[Chunk | Skipped],
        stats: ScanStats,
        progress: Progress | None = None,
    ) -> list[Finding]:
        """Findings of every chunk, each (id, line, rule) once; skips counted in `stats`."""
        findings: list[Finding] = []
        seen: set[tuple[str, int, str]] = set()
        for item in items:
            if isinstance(item, Skipped):
                stats.skip(item)
                continue
            stats.chunks += 1
            stats.bytes += len(item.data)
            if isinstance(item.provenance, GitProvenance):
                stats.blobs += 1
            add_unique(findings, seen, self.scan_chunk(item, stats))
            if progress is not None:
                stats.findings = len(findings)
                progress(stats)
        return findings

    def iter_kept(
        self, chunk: Chunk, stats: ScanStats, windows: Windows | None = None
    ) -> list[Candidate]:
        kept = []
        for c in self.detector.iter_candidates(chunk, windows):
            stats.candidates += 1
            reason, info = self._verdict(c)
            if reason is not None:
                stats.suppress(reason)
            elif info:
                kept.append(evolve(c, severity=Severity.INFO))
            else:
                kept.append(c)
        return kept

    def _verdict(self, c: Candidate) -> tuple[str | None, bool]:
        """Why the filters drop a candidate (or None), and whether it is only worth `info`.
        Filters read the parsed credential and its line alone, so a history's every
        version of one line is judged once."""
        key = (c.parsed, c.line_text)
        verdict = self._verdicts.get(key)
        if verdict is None:
            reason = filters_mod.suppression_reason(c, self.filters)
            info = reason is None and filters_mod.info_reason(c, self.info_rules) is not None
            verdict = (reason, info)
            _remember(self._verdicts, key, verdict)
        return verdict

    def to_finding(self, chunk: Chunk, c: Candidate, example_file: bool = False) -> Finding:
        p = c.parsed
        secret = p.password or ""
        fp, cid = self._credential_of(secret, p.user, p.hosts)
        severity = c.severity
        if (
            example_file
            or is_local_only(p.hosts)
            or filters_mod.is_name_as_password(p)
        ):
            severity = min(severity, Severity.LOW)
        line = chunk.original_line(c.line)
        provenance = chunk.provenance_at(c.line)
        return Finding(
            id=finding_id(cid, c.rule, place_key(provenance), line),
            rule=c.rule,
            kind=p.kind,
            provenance=provenance,
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

    def _credential_of(
        self, secret: str, user: str | None, hosts: tuple[str, ...],
    ) -> tuple[str, CredentialId]:
        """The secret's fingerprint and the credential's id, worked out once per scan."""
        key = (secret, user, hosts)
        ids = self._ids.get(key)
        if ids is None:
            fp = self.fingerprint_of(secret)
            ids = (fp, credential_id(fp, user, hosts))
            _remember(self._ids, key, ids)
        return ids

    def _provisional(self) -> Scanner:
        """This scanner, giving provisional fingerprints (`seal` makes them real)."""
        twin = copy.copy(self)
        twin.fingerprint_of = provisional_fingerprint
        twin._ids = {}
        return twin

    def run(
        self, source: Source, progress: Progress | None = None, jobs: int = 1
    ) -> ScanResult:
        """Scan every chunk of `source`, then attribute and group the findings.

        With jobs > 1, a source that can be split (a large git history) is scanned by that
        many worker processes, each reading and matching its own share of the blobs:
        reading (git) and matching (Python) then use every core.
        """
        stats = ScanStats()
        started = time.monotonic()
        if isinstance(source, GatedSource):
            source.use_json_gate(self.detector.json_gate())
        split = _split(source, jobs)
        if split is not None:
            splittable, shards = split
            # chunks, blobs, bytes: what the workers have read so far, for the progress
            counts = multiprocessing.get_context("fork").Array("q", 3) if progress else None
            workers = self._provisional()
            found = run_parallel(WorkerContext(workers, shards, counts), stats, progress,
                                 splittable.fill_shards)
        else:
            serial = self._provisional()
            found = serial.scan_items(source.iter_items(), stats, progress)
        findings = seal(found, source.attribute)
        # Nothing but the secret may carry secret material from here on (pgsweep.findings.scrub).
        findings = [scrub_finding(f) for f in findings]
        scrub_stats(stats, SecretSet(f.secret for f in findings))
        stats.findings = len(findings)
        # in path order, the same however the work was shared out between workers
        stats.warnings.sort()
        stats.seconds = round(time.monotonic() - started, 3)
        # this process, plus the workers' own peaks when the scan ran in parallel
        stats.peak_rss_mib = round(stats.peak_rss_mib + peak_rss_mib(), 1)
        return ScanResult(
            findings=tuple(findings),
            credentials=tuple(credentials_mod.group(findings)),
            stats=stats,
            signatures=self.signatures,
        )


def one_reading(raw: list[Finding], decoded: list[Finding]) -> list[Finding]:
    """The findings of a chunk and of its decoded text, with each credential read once.

    A decoded finding on the line of a raw one, by the same rule, is a second reading of
    one credential (the text as written and the text with its escapes undone) when it
    shares the raw one's user and hosts, else its secret, else its user or its hosts. The
    same secret with another user or host keeps the written reading: the form's parser read
    its own escapes already (a SQL identifier, a `.pgpass` field, a conninfo value); for
    another secret `decoding_wins` picks the reading to keep.
    """
    if not decoded:
        return raw
    drop: set[int] = set()
    kept = []
    for d in decoded:
        twins = _twins(raw, d)
        if not twins:
            kept.append(d)
        elif any(raw[i].secret == d.secret for i in twins):
            continue
        elif all(decoding_wins(raw[i].secret, d.secret) for i in twins):
            drop.update(twins)
            kept.append(d)
    return [r for i, r in enumerate(raw) if i not in drop] + kept


def _twins(raw: list[Finding], d: Finding) -> list[int]:
    """The raw findings `d` may be a second reading of, closest first (see `one_reading`)."""
    here = [i for i, r in enumerate(raw) if r.line == d.line and r.rule == d.rule]
    tiers: tuple[Callable[[Finding], bool], ...] = (
        lambda r: r.user == d.user and r.hosts == d.hosts,
        lambda r: r.secret == d.secret,
        lambda r: r.user == d.user or r.hosts == d.hosts,
    )
    for close in tiers:
        twins = [i for i in here if close(raw[i])]
        if twins:
            return twins
    return []


def _remember(cache: dict[K, V], key: K, value: V) -> None:
    """Keep `value` for `key`, in a cache emptied when it holds _REMEMBERED entries."""
    if len(cache) >= _REMEMBERED:
        cache.clear()
    cache[key] = value


def _split(source: Source, jobs: int) -> tuple[SplittableSource, Shards] | None:
    """How a parallel scan shares the source out, or None to scan in this process."""
    if jobs < 2 or sys.platform == "win32" or not isinstance(source, SplittableSource):
        return None
    shards = source.shards(jobs)
    return None if shards is None else (source, shards)
