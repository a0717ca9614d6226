"""Baselines: record known findings as hashes, and drop findings a baseline or ignore file knows.

Three formats suppress findings:
- pgsweep's own baseline (versioned JSON, hashes and redacted previews only);
- detect-secrets' `.secrets.baseline` (entries audited `is_secret: false`);
- gitleaks' `.gitleaksignore` (`[commit:]file:rule-id:line` fingerprints).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from pgsweep import __version__
from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Finding, GitProvenance, provenance_path
from pgsweep.findings import credentials as credentials_mod
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import ScanResult

BASELINE_VERSION = 1
_COMMIT_RE = re.compile(r"^[0-9a-f]{7,64}$")


class BaselineError(PgsweepError):
    """A baseline or ignore file cannot be read or has an unsupported version."""


def finding_path(f: Finding, root: Path | None) -> str:
    """The finding's path relative to the scan root (git paths already are), `/`-separated."""
    path = provenance_path(f.provenance) or ""
    if root is not None and path and not isinstance(f.provenance, GitProvenance):
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        if rel != ".." and not rel.startswith(".." + os.sep):
            path = rel
    return path.replace(os.sep, "/")


def finding_commit(f: Finding) -> str | None:
    p = f.provenance
    return p.commit if isinstance(p, GitProvenance) else None


# --------------------------------------------------------------------------- our format
@dataclass(frozen=True)
class BaselineEntry:
    """One known occurrence. Matching ignores the line, so edits around a secret keep it known."""

    credential: str
    rule: str
    path: str
    line: int
    fingerprint: str
    severity: str
    redacted: str
    user: str | None = None
    host: str | None = None
    commit: str | None = None
    is_secret: bool | None = None  # set by `pgsweep baseline audit`
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.credential, self.rule, self.path)


@dataclass(frozen=True)
class Baseline:
    entries: tuple[BaselineEntry, ...]
    generated_at: str = ""
    tool_version: str = __version__
    name: str = "baseline"
    _keys: frozenset[tuple[str, str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset(e.key for e in self.entries))

    def matches(self, f: Finding, path: str) -> bool:
        return (f.credential, f.rule, path) in self._keys


def create(
    findings: Iterable[Finding], root: Path | None, previous: Baseline | None = None
) -> Baseline:
    """A baseline of `findings`; audit decisions of `previous` carry over to the same entries."""
    decided = {e.key: e for e in previous.entries} if previous else {}
    entries = []
    seen: set[tuple[str, str, str, int]] = set()
    for f in findings:
        path = finding_path(f, root)
        if (f.credential, f.rule, path, f.line) in seen:
            continue
        seen.add((f.credential, f.rule, path, f.line))
        entry = BaselineEntry(
            credential=f.credential,
            rule=f.rule,
            path=path,
            line=f.line,
            fingerprint=f.fingerprint,
            severity=str(f.severity),
            redacted=redact(f.secret),
            user=f.user,
            host=f.host,
            commit=finding_commit(f),
        )
        old = decided.get(entry.key)
        if old is not None:
            entry = replace(entry, is_secret=old.is_secret, note=old.note)
        entries.append(entry)
    entries.sort(key=lambda e: (e.path, e.line, e.rule, e.credential))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Baseline(entries=tuple(entries), generated_at=now)


_SURROGATE = re.compile("[\ud800-\udfff]")


def to_json(b: Baseline) -> str:
    doc = {
        "version": BASELINE_VERSION,
        "tool": {"name": "pgsweep", "version": b.tool_version},
        "generated_at": b.generated_at,
        "entries": [asdict(e) for e in b.entries],
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    # A path's undecodable bytes (surrogate escapes) as JSON \u escapes: the file stays
    # UTF-8 and reads back to the same path, so its entries still match.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def save(b: Baseline, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(to_json(b), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write: {exc.strerror or exc}") from None


def from_json(doc: Any, where: str) -> Baseline:
    if not isinstance(doc, dict) or "entries" not in doc:
        raise BaselineError(f"{where}: not a pgsweep baseline")
    version = doc.get("version")
    if version != BASELINE_VERSION:
        raise BaselineError(
            f"{where}: baseline version {version!r} is not supported "
            f"(this pgsweep reads version {BASELINE_VERSION}; upgrade pgsweep)"
        )
    fields = set(BaselineEntry.__dataclass_fields__)
    entries = []
    for i, raw in enumerate(doc["entries"]):
        if not isinstance(raw, dict) or not {"credential", "rule", "path"} <= set(raw):
            raise BaselineError(f"{where}: entries[{i}] lacks credential, rule or path")
        known = {k: v for k, v in raw.items() if k in fields}
        known.setdefault("line", 0)
        for k in ("fingerprint", "severity", "redacted"):
            known.setdefault(k, "")
        entries.append(BaselineEntry(**known))
    return Baseline(
        entries=tuple(entries),
        generated_at=str(doc.get("generated_at", "")),
        tool_version=str((doc.get("tool") or {}).get("version", "")),
    )


def with_decision(
    b: Baseline, index: int, is_secret: bool | None, note: str | None = None
) -> Baseline:
    entries = list(b.entries)
    entries[index] = replace(entries[index], is_secret=is_secret,
                             note=entries[index].note if note is None else note)
    return replace(b, entries=tuple(entries))


# --------------------------------------------------------------------------- other tools
def sha1_hex(secret: str) -> str:
    """detect-secrets' `hashed_secret`: SHA-1 of the secret (computed in memory only)."""
    return hashlib.sha1(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DetectSecretsBaseline:
    """Entries audited `is_secret: false` in a detect-secrets baseline, by (filename, sha1)."""

    false_positives: frozenset[tuple[str, str]]
    name: str = "detect-secrets-baseline"

    def matches(self, f: Finding, path: str) -> bool:
        if not self.false_positives:
            return False
        # detect-secrets hashes the text as written, so a percent-encoded URI password is
        # hashed encoded; try both spellings.
        hashes = {sha1_hex(f.secret), sha1_hex(quote(f.secret, safe=""))}
        return any((path, h) in self.false_positives for h in hashes)


def detect_secrets_from_json(doc: dict[str, Any], where: str) -> DetectSecretsBaseline:
    results = doc.get("results")
    if not isinstance(results, dict):
        raise BaselineError(f"{where}: detect-secrets baseline without results")
    fps = set()
    for filename, items in results.items():
        for item in items if isinstance(items, list) else ():
            if not isinstance(item, dict) or not item.get("hashed_secret"):
                continue
            if item.get("is_secret") is False:
                name = str(item.get("filename", filename)).replace(os.sep, "/")
                fps.add((name, str(item["hashed_secret"])))
    return DetectSecretsBaseline(false_positives=frozenset(fps))


@dataclass(frozen=True)
class GitleaksIgnore:
    """`.gitleaksignore` fingerprints. Rule ids differ between tools, so any rule matches:
    the file, the line, and the commit when the fingerprint names one."""

    fingerprints: frozenset[tuple[str | None, str, int]]
    name: str = "gitleaksignore"

    def matches(self, f: Finding, path: str) -> bool:
        commit = finding_commit(f)
        if (None, path, f.line) in self.fingerprints:
            return True
        return commit is not None and (commit, path, f.line) in self.fingerprints


def parse_gitleaksignore(text: str, where: str) -> GitleaksIgnore:
    out = set()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.rsplit(":", 2)
        if len(parts) != 3 or not parts[2].isdigit():
            raise BaselineError(
                f"{where}:{n}: not a gitleaks fingerprint ([commit:]file:rule:line)"
            )
        head, _rule, lineno = parts
        commit: str | None = None
        first, sep, rest = head.partition(":")
        if sep and _COMMIT_RE.match(first):
            commit, head = first, rest
        out.add((commit, head.replace(os.sep, "/"), int(lineno)))
    return GitleaksIgnore(fingerprints=frozenset(out))


# --------------------------------------------------------------------------- applying
class Suppressor(Protocol):
    """Anything that knows findings to drop; `name` is the key in stats.suppressed."""

    @property
    def name(self) -> str: ...

    def matches(self, f: Finding, path: str) -> bool: ...


def load(path: Path) -> Baseline:
    """A pgsweep baseline (for create/audit); other formats are an error here."""
    return from_json(_parse_json(_read_text(path), path), str(path))


def load_any(path: Path) -> Suppressor:
    """A pgsweep baseline, a detect-secrets baseline or a .gitleaksignore, told by content."""
    text = _read_text(path)
    if text.lstrip().startswith("{"):
        doc = _parse_json(text, path)
        if isinstance(doc, dict) and "plugins_used" in doc and "results" in doc:
            return detect_secrets_from_json(doc, str(path))
        return from_json(doc, str(path))
    return parse_gitleaksignore(text, str(path))


# Other tools' files at the scan root that `scan` honours without --baseline.
AUTO_NAMES = (".secrets.baseline", ".gitleaksignore")


def auto_baselines(root: Path, given: Iterable[Path] = ()) -> list[Path]:
    """The AUTO_NAMES files at a scanned folder or repository's root (regular files, not
    symlinks), less those already `given`."""
    seen = {os.path.abspath(p) for p in given}
    out = []
    for name in AUTO_NAMES:
        path = root / name
        if path.is_file() and not path.is_symlink() and os.path.abspath(path) not in seen:
            out.append(path)
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: cannot read: not UTF-8 text") from None


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None


def apply(result: ScanResult, suppressors: Sequence[Suppressor], root: Path | None) -> ScanResult:
    """Drop findings any suppressor knows; count them in stats.suppressed by its name."""
    if not suppressors:
        return result
    kept = []
    for f in result.findings:
        path = finding_path(f, root)
        hit = next((s for s in suppressors if s.matches(f, path)), None)
        if hit is None:
            kept.append(f)
        else:
            result.stats.suppress(hit.name)
    result.stats.findings = len(kept)
    return replace(result, findings=tuple(kept), credentials=tuple(credentials_mod.group(kept)))
