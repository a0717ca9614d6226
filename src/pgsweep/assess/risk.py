"""Score each leaked credential's risk from explainable factors; find reuse and weak transport."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pgsweep.assess.hosts import HostClass, HostInfo, classify_hosts, is_privileged_role
from pgsweep.core.models import (
    Credential,
    CredentialId,
    Finding,
    GitProvenance,
    SecretKind,
    Severity,
)
from pgsweep.detectors.filters import is_user_as_password
from pgsweep.findings.credentials import provenance_time

ROTATION_WINDOW_DAYS = 90

# Score thresholds: the sum of factor effects maps to a severity.
CRITICAL_AT, HIGH_AT, MEDIUM_AT = 8, 5, 3


class VerificationLike(Protocol):
    """A verification result as the store records it (pgsweep.store.VerificationRecord);
    its time is `checked_at` (or `at`), read by `verification_time`."""

    @property
    def method(self) -> str: ...
    @property
    def status(self) -> str: ...


class TriageLike(Protocol):
    """A triage decision as the store records it (pgsweep.store.TriageState)."""

    @property
    def status(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def updated_at(self) -> str: ...


class Channel(enum.StrEnum):
    """How a secret got exposed, from the most to the least widely copied."""

    GIT = "git-history"
    CI_LOG = "ci-log"
    CONFIG = "config-file"
    DESKTOP = "desktop-tool"
    HISTORY = "shell-history"
    CHAT = "chat"
    MAIL = "mail"
    IMAGE = "container-image"
    PROCESS = "process"


_CHANNEL_OF_KIND = {
    "git": Channel.GIT,
    "ci-log": Channel.CI_LOG,
    "file": Channel.CONFIG,
    "desktop": Channel.DESKTOP,
    "history": Channel.HISTORY,
    "chat": Channel.CHAT,
    "mail": Channel.MAIL,
    "image": Channel.IMAGE,
    "process": Channel.PROCESS,
}

_CHANNEL_EFFECT: dict[Channel, tuple[int, str]] = {
    Channel.GIT: (2, "git history is copied to every clone, fork and CI cache"),
    Channel.CI_LOG: (2, ("CI logs are retained, searchable and readable by everyone with access "
                        "to the project")),
    Channel.CONFIG: (1, ("a plaintext config file on disk, readable by whoever reads the "
                        "directory or its backups")),
    Channel.DESKTOP: (1, ("a desktop tool's saved connection, readable from the user's profile "
                         "and its backups")),
    Channel.HISTORY: (0, "a shell or client history on one machine"),
    Channel.CHAT: (2, ("chat messages are kept, searchable by every member of the channel, and "
                      "copied into every export")),
    Channel.MAIL: (2, ("mail is copied to every recipient's mailbox, the mail servers and their "
                      "backups")),
    Channel.IMAGE: (2, ("a container image is pushed to registries and pulled onto every host; "
                       "each layer keeps its files even when a later layer deletes them")),
    Channel.PROCESS: (1, ("a running process's environment or command line, readable by its "
                         "user and root (command lines by every local user)")),
}

_HOST_EFFECT: dict[HostClass, int] = {
    HostClass.CLOUD: 4,
    HostClass.PUBLIC: 3,
    HostClass.INTERNAL: 1,
    HostClass.UNKNOWN: 1,
    HostClass.LOCAL: -2,
    HostClass.EXAMPLE: -3,
}

_HOST_WHY: dict[HostClass, str] = {
    HostClass.CLOUD: "reachable from the internet and usually production",
    HostClass.PUBLIC: "a public name or address: reachable from outside",
    HostClass.INTERNAL: "reachable from inside the network (one foothold away)",
    HostClass.UNKNOWN: "the host is not recorded; the password may open any server",
    HostClass.LOCAL: "usable only on the same machine or container network",
    HostClass.EXAMPLE: "a reserved example name, not a real server",
}

# The detector's own rating of the form it matched (lowered for local-only hosts, a password
# equal to the user name, and pgsweep's example files): one input among the others.
_SIGNATURE_EFFECT: dict[Severity, tuple[int, str]] = {
    Severity.CRITICAL: (1, "the detector rates this form critical"),
    Severity.MEDIUM: (-1, "the detector rates this form medium (a weaker or partial form)"),
}
# Ratings that bound the severity: the detector saw a local-only host, a password equal to
# the user name or a documented example (low), or a weak, placeholder-like value (info).
# A later factor (a verification that the password works) can still raise it.
_SIGNATURE_CAP: dict[Severity, str] = {
    Severity.LOW: ("the detector rates this match low (a local-only host, a password equal to "
                   "the user name, or a documented example)"),
    Severity.INFO: "the detector rates this value info (a weak or placeholder-like password)",
}

# Verification statuses: the offline verifier says live/rotated/no-verifier, the live one
# valid/invalid/unknown.
LIVE_STATUSES = frozenset({"live", "valid"})
DEAD_STATUSES = frozenset({"rotated", "invalid"})

STRONG_SSLMODE = "verify-full"
_SSLMODE_WHY = {
    None: "no sslmode: libpq's default 'prefer' falls back to plaintext and never checks the "
          "server certificate",
    "disable": "sslmode=disable sends the password over an unencrypted connection",
    "allow": "sslmode=allow tries plaintext first",
    "prefer": "sslmode=prefer falls back to plaintext and never checks the server certificate",
    "require": "sslmode=require encrypts but does not check the server certificate "
               "(man-in-the-middle possible)",
    "verify-ca": "sslmode=verify-ca checks the certificate chain but not the host name",
}
_SSLMODE_ORDER = ("disable", "allow", None, "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class RiskFactor:
    """One reason a credential's score moved: `effect` points, or a floor or cap."""

    name: str
    effect: int
    reason: str
    floor: Severity | None = None
    cap: Severity | None = None

    def describe_effect(self) -> str:
        if self.cap is not None:
            return f"at most {self.cap}"
        if self.floor is not None:
            return f"at least {self.floor}" + (f", {self.effect:+d}" if self.effect else "")
        return f"{self.effect:+d}"


@dataclass(frozen=True)
class ReuseIssue:
    """One password (by fingerprint) used by several credentials: different users or hosts."""

    fingerprint: str
    credentials: tuple[CredentialId, ...]
    accounts: tuple[str, ...]  # "user@host" of each credential, in credential order
    host_classes: tuple[HostClass, ...]
    severity: Severity

    @property
    def spans_environments(self) -> bool:
        return len(set(self.host_classes)) > 1


@dataclass(frozen=True)
class TransportIssue:
    """A credential seen with an sslmode weaker than verify-full."""

    credential: CredentialId
    sslmode: str | None
    reason: str


@dataclass(frozen=True)
class CredentialRisk:
    """A credential's severity and every factor that led to it."""

    credential: CredentialId
    severity: Severity
    score: int
    factors: tuple[RiskFactor, ...]
    host: HostInfo
    privileged: bool
    channels: tuple[Channel, ...]
    first_seen: str | None
    last_seen: str | None
    exposure_days: int | None
    present_at_head: bool | None
    sslmode: str | None
    verification: str | None
    triage: str | None
    reused_with: tuple[CredentialId, ...] = ()


# --------------------------------------------------------------------------- helpers
def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time (a `Z` suffix and naive times are read as UTC), or None."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def channel_of(f: Finding) -> Channel:
    return _CHANNEL_OF_KIND.get(f.provenance.kind, Channel.CONFIG)


def sslmode_of(f: Finding) -> str | None:
    """The sslmode a finding's connection string asks for (`ssl=true` means require)."""
    mode = None
    for k, v in f.params:
        key = k.lower()
        if key == "sslmode":
            mode = v.strip().lower()
        elif key == "ssl" and mode is None and v.strip().lower() in ("true", "1", "on"):
            mode = "require"
    return mode


def weakest_sslmode(modes: Iterable[str | None]) -> str | None:
    """The weakest of several sslmodes (unknown values count as absent)."""
    ranked = [m if m in _SSLMODE_ORDER else None for m in modes]
    if not ranked:
        return None
    return min(ranked, key=_SSLMODE_ORDER.index)


def score_to_severity(score: int) -> Severity:
    if score >= CRITICAL_AT:
        return Severity.CRITICAL
    if score >= HIGH_AT:
        return Severity.HIGH
    if score >= MEDIUM_AT:
        return Severity.MEDIUM
    return Severity.LOW


def apply_bounds(severity: Severity, factors: Iterable[RiskFactor]) -> Severity:
    """Apply the factors' floors and caps in the order they are listed: the detector's rating
    first, then verification, then triage, so a later decision overrides an earlier one."""
    for f in factors:
        if f.floor is not None and severity < f.floor:
            severity = f.floor
        if f.cap is not None and severity > f.cap:
            severity = f.cap
    return severity


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _signature_factors(credential: Credential) -> list[RiskFactor]:
    """The detector's rating of the match, when it moves the score (high does not)."""
    rating = credential.severity
    if rating in _SIGNATURE_CAP:
        return [RiskFactor(f"signature.{rating}", 0, _SIGNATURE_CAP[rating], cap=rating)]
    if rating in _SIGNATURE_EFFECT:
        effect, why = _SIGNATURE_EFFECT[rating]
        return [RiskFactor(f"signature.{rating}", effect, why)]
    return []


def _reuse_factors(
    credential: Credential, findings: Sequence[Finding], host: HostInfo,
    reused_with: Sequence[Credential],
) -> list[RiskFactor]:
    """Reuse of the password by other credentials, and the widest known host it also opens.

    A password equal to its user name (`postgres:postgres`) is an image or test default:
    sharing it is expected, so it adds nothing by itself. An account whose host is not
    recorded (libpq's default socket, or set elsewhere) is not known to be wider.
    """
    shared = ", ".join(f"{account(o)} ({classify_hosts(o.hosts).cls})" for o in reused_with)
    if any(is_user_as_password(f.user, f.secret) for f in findings):
        factors = [RiskFactor(
            "reuse.default", 0,
            "the same password, equal to the user name (an image or test default), is also "
            f"used for {shared}",
        )]
    elif credential.severity <= Severity.LOW and all(o.severity <= Severity.LOW
                                                     for o in reused_with):
        factors = [RiskFactor(
            "reuse.default", 0,
            f"the same password is also used for {shared}, each rated low by the detector "
            "(local-only hosts or user-name defaults)",
        )]
    else:
        factors = [RiskFactor("reuse", 1, f"the same password is also used for {shared}")]
    known = [(o, classify_hosts(o.hosts)) for o in reused_with]
    known = [(o, i) for o, i in known if i.cls not in (HostClass.UNKNOWN, HostClass.EXAMPLE)]
    if not known:
        return factors
    other, widest = max(known, key=lambda oi: oi[1].cls.rank)
    gap = _HOST_EFFECT[widest.cls] - _HOST_EFFECT[host.cls]
    if gap > 0:
        cls = str(widest.cls)
        provider = f" ({widest.provider})" if widest.provider else ""
        factors.append(RiskFactor(
            "reuse.wider-host", gap,
            f"the same password also opens {account(other)}, {_article(cls)} {cls} "
            f"host{provider}: scored as that host",
        ))
    return factors


def account(c: Credential) -> str:
    return f"{c.user or '?'}@{','.join(c.hosts) or '?'}"


def verification_time(r: VerificationLike) -> str:
    """When a verification ran, as ISO 8601 text ("" when not recorded)."""
    return str(getattr(r, "checked_at", None) or getattr(r, "at", None) or "")


def verification_status(r: VerificationLike) -> str:
    """The status as plain text (a str enum's value, not its repr)."""
    return str(getattr(r.status, "value", r.status))


def latest(records: Sequence[VerificationLike]) -> VerificationLike | None:
    """The most recent record; on equal times, the later one in the list."""
    best: VerificationLike | None = None
    for r in records:
        if best is None or verification_time(r) >= verification_time(best):
            best = r
    return best


# --------------------------------------------------------------------------- reuse
def find_reuse(credentials: Sequence[Credential]) -> dict[str, list[Credential]]:
    """Fingerprints shared by two or more credentials (each a different user or host set)."""
    by_fp: dict[str, list[Credential]] = {}
    for c in credentials:
        if c.kind is SecretKind.PASSWORD and c.fingerprint:
            by_fp.setdefault(c.fingerprint, []).append(c)
    return {fp: cs for fp, cs in by_fp.items() if len(cs) > 1}


# --------------------------------------------------------------------------- assessment
def assess(
    credential: Credential,
    findings: Sequence[Finding],
    now: datetime,
    reused_with: Sequence[Credential] = (),
    verifications: Sequence[VerificationLike] = (),
    triage: TriageLike | None = None,
) -> CredentialRisk:
    """Score one credential. `findings` are its occurrences; `now` is explicit (testable)."""
    factors: list[RiskFactor] = []
    host = classify_hosts(credential.hosts)
    where = f" ({host.provider})" if host.provider else ""
    factors.append(RiskFactor(
        f"host.{host.cls}", _HOST_EFFECT[host.cls],
        f"{host.cls} host{where}: {host.reason}; {_HOST_WHY[host.cls]}",
    ))

    privileged = is_privileged_role(credential.user)
    if privileged:
        factors.append(RiskFactor(
            "role.privileged", 2,
            f"role {credential.user!r} is a superuser, admin or owner role: it can read and "
            "change every table, and often run programs on the server",
        ))

    if credential.kind is SecretKind.PASSWORD_HASH:
        factors.append(RiskFactor(
            "kind.hash", -1,
            "a password hash, not the password: crackable offline, and an md5 hash logs in "
            "directly where pg_hba uses md5",
        ))
    elif credential.kind is SecretKind.PARTIAL_PASSWORD:
        factors.append(RiskFactor("kind.partial", -1, "only part of the password leaked"))

    factors.extend(_signature_factors(credential))

    channels = tuple(sorted({channel_of(f) for f in findings},
                            key=lambda ch: list(Channel).index(ch)))
    if channels:
        widest = max(channels, key=lambda ch: _CHANNEL_EFFECT[ch][0])
        effect, why = _CHANNEL_EFFECT[widest]
        others = [str(ch) for ch in channels if ch is not widest]
        also = f" (also in: {', '.join(others)})" if others else ""
        factors.append(RiskFactor(f"channel.{widest}", effect, f"{why}{also}"))
    if len(channels) > 1:
        factors.append(RiskFactor(
            "channel.multiple", 1, f"exposed through {len(channels)} different channels",
        ))

    git = [f.provenance for f in findings if isinstance(f.provenance, GitProvenance)]
    present_at_head: bool | None = None
    if git:
        flags = [p.present_at_head for p in git if p.present_at_head is not None]
        if flags:
            present_at_head = any(flags)
        if present_at_head:
            factors.append(RiskFactor(
                "git.at-head", 1,
                "still present at the branch tip: every new checkout gets it in plain sight",
            ))
        elif present_at_head is False:
            factors.append(RiskFactor(
                "git.history-only", 0,
                "removed from the branch tip but still in history: every clone still holds it",
            ))

    times = sorted(t for t in (parse_time(provenance_time(f.provenance)) for f in findings) if t)
    first = times[0] if times else parse_time(credential.first_seen)
    last = times[-1] if times else parse_time(credential.last_seen)
    exposure_days: int | None = None
    if first is not None:
        exposure_days = max(0, (now - first).days)
        if exposure_days > ROTATION_WINDOW_DAYS:
            factors.append(RiskFactor(
                "age.over-window", 1,
                f"exposed for {exposure_days} days since {first.date().isoformat()}, beyond the "
                f"{ROTATION_WINDOW_DAYS}-day rotation window",
            ))
        else:
            factors.append(RiskFactor(
                "age.within-window", 0,
                f"exposed for {exposure_days} days since {first.date().isoformat()}",
            ))
    else:
        factors.append(RiskFactor("age.unknown", 0, "when it was first exposed is not recorded"))

    if reused_with:
        factors.extend(_reuse_factors(credential, findings, host, reused_with))

    sslmode = weakest_sslmode(sslmode_of(f) for f in findings) if findings else None
    if sslmode != STRONG_SSLMODE and host.cls in (HostClass.CLOUD, HostClass.PUBLIC,
                                                    HostClass.INTERNAL):
        factors.append(RiskFactor("transport.weak", 1, _SSLMODE_WHY.get(sslmode, "weak sslmode")))

    record = latest(verifications)
    verification = verification_status(record) if record else None
    if record is not None:
        at = verification_time(record)
        when = f" ({record.method}, {at})" if at else f" ({record.method})"
        if verification in LIVE_STATUSES:
            factors.append(RiskFactor(
                "verified.live", 3, f"verified: the leaked password still works{when}",
                floor=Severity.HIGH,
            ))
        elif verification in DEAD_STATUSES:
            factors.append(RiskFactor(
                "verified.rotated", 0,
                f"verified: the leaked password no longer works{when}; clean-up remains",
                cap=Severity.LOW,
            ))
        else:
            factors.append(RiskFactor(
                f"verified.{verification}", 0,
                f"verification was inconclusive: {verification}{when}",
            ))

    triage_status = triage.status if triage else None
    if triage is not None:
        note = f": {triage.note}" if triage.note else ""
        if triage.status == "false-positive":
            factors.append(RiskFactor("triage.false-positive", 0,
                                      f"triaged as a false positive{note}", cap=Severity.INFO))
        elif triage.status == "rotated" and verification in LIVE_STATUSES:
            factors.append(RiskFactor("triage.rotated-but-live", 0,
                                      f"triaged as rotated{note}, but verification shows the "
                                      "leaked password still works"))
        elif triage.status == "rotated":
            factors.append(RiskFactor("triage.rotated", 0,
                                      f"triaged as rotated{note}", cap=Severity.LOW))
        elif triage.status == "accepted":
            factors.append(RiskFactor("triage.accepted", 0,
                                      f"risk accepted{note}; severity unchanged"))

    score = sum(f.effect for f in factors)
    severity = apply_bounds(score_to_severity(score), factors)
    return CredentialRisk(
        credential=credential.id,
        severity=severity,
        score=score,
        factors=tuple(factors),
        host=host,
        privileged=privileged,
        channels=channels,
        first_seen=first.isoformat() if first else credential.first_seen,
        last_seen=last.isoformat() if last else credential.last_seen,
        exposure_days=exposure_days,
        present_at_head=present_at_head,
        sslmode=sslmode,
        verification=verification,
        triage=triage_status,
        reused_with=tuple(o.id for o in reused_with),
    )


@dataclass(frozen=True)
class Assessment:
    """Every credential's risk, highest first, plus the reuse and transport issues."""

    risks: tuple[CredentialRisk, ...]
    reuse: tuple[ReuseIssue, ...]
    transport: tuple[TransportIssue, ...]

    def risk_of(self, cid: str) -> CredentialRisk | None:
        return next((r for r in self.risks if r.credential == cid), None)


def assess_all(
    findings: Iterable[Finding],
    credentials: Sequence[Credential],
    now: datetime,
    verifications: Mapping[str, Sequence[VerificationLike]] | None = None,
    triage: Mapping[str, TriageLike] | None = None,
) -> Assessment:
    """Assess every credential; the order is severity, score, then first exposure."""
    verifications = verifications or {}
    triage = triage or {}
    by_cred: dict[str, list[Finding]] = {}
    for f in findings:
        by_cred.setdefault(f.credential, []).append(f)
    shared = find_reuse(credentials)
    risks: list[CredentialRisk] = []
    for c in credentials:
        group = shared.get(c.fingerprint, []) if c.kind is SecretKind.PASSWORD else []
        others = [o for o in group if o.id != c.id]
        risks.append(assess(
            c, by_cred.get(c.id, []), now, others, verifications.get(c.id, ()), triage.get(c.id),
        ))
    risks.sort(key=lambda r: (-r.severity, -r.score, r.first_seen or "", r.credential))
    by_id = {r.credential: r for r in risks}
    reuse: list[ReuseIssue] = []
    for fp, cs in shared.items():
        classes = tuple(classify_hosts(c.hosts).cls for c in cs)
        reuse.append(ReuseIssue(
            fingerprint=fp,
            credentials=tuple(c.id for c in cs),
            accounts=tuple(account(c) for c in cs),
            host_classes=classes,
            severity=max(by_id[c.id].severity for c in cs),
        ))
    reuse.sort(key=lambda r: (-r.severity, r.credentials))
    transport = tuple(
        TransportIssue(r.credential, r.sslmode,
                       next(f.reason for f in r.factors if f.name == "transport.weak"))
        for r in risks if any(f.name == "transport.weak" for f in r.factors)
    )
    return Assessment(tuple(risks), tuple(reuse), transport)


def utc_now() -> datetime:
    """The current time; only the CLI calls this, the core takes `now` as an argument."""
    return datetime.now(UTC)


def explain(credential: Credential, risk: CredentialRisk) -> str:
    """Plain text: why a credential has its severity, one factor per line."""
    lines = [
        (f"credential {credential.id}: {account(credential)} "
         f"(database {credential.database or '?'}, {credential.kind}, "
         f"secret {credential.redacted})"),
        (f"severity {risk.severity} (score {risk.score}; critical >= {CRITICAL_AT}, "
        f"high >= {HIGH_AT}, medium >= {MEDIUM_AT}, else low)"),
        "",
    ]
    width = max((len(f.describe_effect()) for f in risk.factors), default=2)
    for f in risk.factors:
        lines.append(f"  {f.describe_effect():>{width}}  {f.name:<22} {f.reason}")
    if risk.reused_with:
        lines += ["", "reused by: " + ", ".join(risk.reused_with)]
    return "\n".join(lines) + "\n"
