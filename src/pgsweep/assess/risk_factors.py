"""The risk model's factors: small named functions, each reading one fact about a credential
and returning the factors it moves the score by (none when the fact does not apply)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pgsweep.assess.fixtures import all_in_test_code, names_no_server
from pgsweep.assess.hosts import HostClass, HostInfo, classify_hosts
from pgsweep.core.models import Credential, Finding, GitProvenance, SecretKind, Severity
from pgsweep.detectors.filters import is_user_as_password
from pgsweep.findings.places import is_uncommitted
from pgsweep.parsers.sslmode import sslmode_of as params_sslmode

ROTATION_WINDOW_DAYS = 90


class VerificationLike(Protocol):
    """A verification result as the store records it (pgsweep.store.VerificationRecord)."""

    @property
    def method(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def checked_at(self) -> str: ...


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

HOST_EFFECT: dict[HostClass, int] = {
    HostClass.CLOUD: 4, HostClass.PUBLIC: 3, HostClass.INTERNAL: 1, HostClass.UNKNOWN: 1,
    HostClass.LOCAL: -2, HostClass.EXAMPLE: -3}

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
                   "the user or database name, or a documented example)"),
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
_REACHABLE = (HostClass.CLOUD, HostClass.PUBLIC, HostClass.INTERNAL)


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
class Facts:
    """What the factors read about one credential, each fact worked out once."""

    credential: Credential
    findings: Sequence[Finding]
    host: HostInfo
    privileged: bool
    channels: tuple[Channel, ...]
    present_at_head: bool | None
    first: datetime | None
    exposure_days: int | None
    reused_with: Sequence[Credential]
    sslmode: str | None
    verification: VerificationLike | None
    triage: TriageLike | None


Factor = Callable[[Facts], Iterable[RiskFactor]]


# --------------------------------------------------------------------------- helpers
def channel_of(f: Finding) -> Channel:
    """A staged blob is a file about to be committed: on disk, in no history yet."""
    return Channel.CONFIG if is_uncommitted(f) else _CHANNEL_OF_KIND.get(
        f.provenance.kind, Channel.CONFIG)


def sslmode_of(f: Finding) -> str | None:
    """The sslmode a finding's connection string asks for."""
    return params_sslmode(f.params)


def weakest_sslmode(modes: Iterable[str | None]) -> str | None:
    """The weakest of several sslmodes (unknown values count as absent)."""
    ranked = [m if m in _SSLMODE_ORDER else None for m in modes]
    if not ranked:
        return None
    return min(ranked, key=_SSLMODE_ORDER.index)


def account(c: Credential) -> str:
    return f"{c.user or '?'}@{','.join(c.hosts) or '?'}"


def verification_time(r: VerificationLike) -> str:
    """When a verification ran, as ISO 8601 text ("" when not recorded)."""
    return r.checked_at or ""


def verification_status(r: VerificationLike) -> str:
    """The status as plain text (a str enum's value, not its repr)."""
    return str(r.status)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# --------------------------------------------------------------------------- factors
def host_factor(facts: Facts) -> list[RiskFactor]:
    """Where the credential logs in: a cloud or public host is worth more than a local one."""
    host = facts.host
    where = f" ({host.provider})" if host.provider else ""
    return [RiskFactor(
        f"host.{host.cls}", HOST_EFFECT[host.cls],
        f"{host.cls} host{where}: {host.reason}; {_HOST_WHY[host.cls]}",
    )]


def role_factor(facts: Facts) -> list[RiskFactor]:
    """A superuser, admin or owner role."""
    if not facts.privileged:
        return []
    return [RiskFactor(
        "role.privileged", 2,
        f"role {facts.credential.user!r} is a superuser, admin or owner role: it can read and "
        "change every table, and often run programs on the server",
    )]


def kind_factor(facts: Facts) -> list[RiskFactor]:
    """Only a hash or a part of the password leaked."""
    kind = facts.credential.kind
    if kind is SecretKind.PASSWORD_HASH:
        return [RiskFactor(
            "kind.hash", -1,
            "a password hash, not the password: crackable offline, and an md5 hash logs in "
            "directly where pg_hba uses md5",
        )]
    if kind is SecretKind.PARTIAL_PASSWORD:
        return [RiskFactor("kind.partial", -1, "only part of the password leaked")]
    return []


def signature_factor(facts: Facts) -> list[RiskFactor]:
    """The detector's rating of the match, when it moves the score (high does not)."""
    rating = facts.credential.severity
    if rating in _SIGNATURE_CAP:
        return [RiskFactor(f"signature.{rating}", 0, _SIGNATURE_CAP[rating], cap=rating)]
    if rating in _SIGNATURE_EFFECT:
        effect, why = _SIGNATURE_EFFECT[rating]
        return [RiskFactor(f"signature.{rating}", effect, why)]
    return []


def channel_factor(facts: Facts) -> list[RiskFactor]:
    """The most widely copied channel it leaked through, and whether there were several."""
    channels = facts.channels
    if not channels:
        return []
    widest = max(channels, key=lambda ch: _CHANNEL_EFFECT[ch][0])
    effect, why = _CHANNEL_EFFECT[widest]
    others = [str(ch) for ch in channels if ch is not widest]
    also = f" (also in: {', '.join(others)})" if others else ""
    factors = [RiskFactor(f"channel.{widest}", effect, f"{why}{also}")]
    if len(channels) > 1:
        factors.append(RiskFactor(
            "channel.multiple", 1, f"exposed through {len(channels)} different channels",
        ))
    return factors


def git_tip_factor(facts: Facts) -> list[RiskFactor]:
    """Still at the branch tip, or only in history (git findings only)."""
    if facts.present_at_head:
        return [RiskFactor(
            "git.at-head", 1,
            "still present at the branch tip: every new checkout gets it in plain sight",
        )]
    if facts.present_at_head is False:
        return [RiskFactor(
            "git.history-only", 0,
            "removed from the branch tip but still in history: every clone still holds it",
        )]
    return []


def repositories_factor(facts: Facts) -> list[RiskFactor]:
    """Seen in several git repositories: each one's clones, forks and caches hold it."""
    repos = {f.provenance.repo for f in facts.findings if isinstance(f.provenance, GitProvenance)}
    if len(repos) < 2:
        return []
    return [RiskFactor(
        "git.repositories", 1,
        f"seen in {len(repos)} repositories: every clone of each of them holds it",
    )]


def age_factor(facts: Facts) -> list[RiskFactor]:
    """How long it has been exposed, against the rotation window."""
    first, days = facts.first, facts.exposure_days
    if first is None or days is None:
        return [RiskFactor("age.unknown", 0, "when it was first exposed is not recorded")]
    since = first.date().isoformat()
    if days > ROTATION_WINDOW_DAYS:
        return [RiskFactor(
            "age.over-window", 1,
            f"exposed for {days} days since {since}, beyond the "
            f"{ROTATION_WINDOW_DAYS}-day rotation window",
        )]
    return [RiskFactor("age.within-window", 0, f"exposed for {days} days since {since}")]


def reuse_factor(facts: Facts) -> list[RiskFactor]:
    """Reuse of the password by other credentials.

    A password equal to its user name (`postgres:postgres`) is an image or test default:
    sharing it is expected, so it adds nothing by itself.
    """
    reused_with = facts.reused_with
    if not reused_with:
        return []
    shared = ", ".join(f"{account(o)} ({classify_hosts(o.hosts).cls})" for o in reused_with)
    if any(is_user_as_password(f.user, f.secret) for f in facts.findings):
        return [RiskFactor(
            "reuse.default", 0,
            "the same password, equal to the user name (an image or test default), is also "
            f"used for {shared}",
        )]
    if facts.credential.severity <= Severity.LOW and all(o.severity <= Severity.LOW
                                                         for o in reused_with):
        return [RiskFactor(
            "reuse.default", 0,
            f"the same password is also used for {shared}, each rated low by the detector "
            "(local-only hosts or user-name defaults)",
        )]
    return [RiskFactor("reuse", 1, f"the same password is also used for {shared}")]


def wider_host_factor(facts: Facts) -> list[RiskFactor]:
    """The widest known host the same password also opens, scored as that host. An account
    whose host is not recorded (libpq's default socket, or set elsewhere) is not known to be
    wider."""
    known = [(o, classify_hosts(o.hosts)) for o in facts.reused_with]
    known = [(o, i) for o, i in known if i.cls not in (HostClass.UNKNOWN, HostClass.EXAMPLE)]
    if not known:
        return []
    other, widest = max(known, key=lambda oi: oi[1].cls.rank)
    gap = HOST_EFFECT[widest.cls] - HOST_EFFECT[facts.host.cls]
    if gap <= 0:
        return []
    cls = str(widest.cls)
    provider = f" ({widest.provider})" if widest.provider else ""
    return [RiskFactor(
        "reuse.wider-host", gap,
        f"the same password also opens {account(other)}, {_article(cls)} {cls} "
        f"host{provider}: scored as that host",
    )]


def transport_factor(facts: Facts) -> list[RiskFactor]:
    """An sslmode weaker than verify-full towards a host reachable over a network."""
    if facts.sslmode == STRONG_SSLMODE or facts.host.cls not in _REACHABLE:
        return []
    return [RiskFactor("transport.weak", 1, _SSLMODE_WHY.get(facts.sslmode, "weak sslmode"))]


def fixture_factor(facts: Facts) -> list[RiskFactor]:
    """Every place in test code or a CI definition, and no real server named: a fixture."""
    if not names_no_server(facts.host) or not all_in_test_code(facts.findings):
        return []
    return [RiskFactor("place.test-fixture", 0, (
        "every place is test code or a CI definition and no real server is named: a test "
        "fixture's password"), cap=Severity.LOW)]


def verification_factor(facts: Facts) -> list[RiskFactor]:
    """The latest verification: a working password is at least high, a dead one at most low."""
    record = facts.verification
    if record is None:
        return []
    status = verification_status(record)
    at = verification_time(record)
    when = f" ({record.method}, {at})" if at else f" ({record.method})"
    if status in LIVE_STATUSES:
        return [RiskFactor(
            "verified.live", 3, f"verified: the leaked password still works{when}",
            floor=Severity.HIGH,
        )]
    if status in DEAD_STATUSES:
        return [RiskFactor(
            "verified.rotated", 0,
            f"verified: the leaked password no longer works{when}; clean-up remains",
            cap=Severity.LOW,
        )]
    return [RiskFactor(
        f"verified.{status}", 0, f"verification was inconclusive: {status}{when}",
    )]


def triage_factor(facts: Facts) -> list[RiskFactor]:
    """A person's decision: a false positive is info, a rotation (unless verification shows
    the password still works) at most low, an accepted risk keeps its severity."""
    triage = facts.triage
    if triage is None:
        return []
    note = f": {triage.note}" if triage.note else ""
    live = (facts.verification is not None
            and verification_status(facts.verification) in LIVE_STATUSES)
    if triage.status == "false-positive":
        return [RiskFactor("triage.false-positive", 0, f"triaged as a false positive{note}",
                           cap=Severity.INFO)]
    if triage.status == "rotated" and live:
        return [RiskFactor("triage.rotated-but-live", 0,
                           f"triaged as rotated{note}, but verification shows the leaked "
                           "password still works")]
    if triage.status == "rotated":
        return [RiskFactor("triage.rotated", 0, f"triaged as rotated{note}", cap=Severity.LOW)]
    if triage.status == "accepted":
        return [RiskFactor("triage.accepted", 0, f"risk accepted{note}; severity unchanged")]
    return []


# Every factor, in the order they are listed and their floors and caps applied: the
# detector's rating first, then verification, then triage, so a later decision overrides
# an earlier one.
FACTORS: tuple[Factor, ...] = (
    host_factor,
    role_factor,
    kind_factor,
    signature_factor,
    channel_factor,
    git_tip_factor,
    repositories_factor,
    age_factor,
    reuse_factor,
    wider_host_factor,
    transport_factor,
    fixture_factor,
    verification_factor,
    triage_factor,
)

