"""The rotation plan's model: each credential's risk and steps, as reporters render it.

`pgsweep.assess.risk` scores the credentials and `pgsweep.assess.rotation` builds the plan;
reporters import only this module of the assess stage, so none can score or plan itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pgsweep.assess.hosts import HostClass, HostInfo
from pgsweep.assess.locations import Location
from pgsweep.assess.plan_groups import PlanGroup
from pgsweep.assess.risk_factors import Channel, RiskFactor
from pgsweep.core.models import Credential, CredentialId, Severity

# Score thresholds: the sum of factor effects maps to a severity.
CRITICAL_AT, HIGH_AT, MEDIUM_AT = 8, 5, 3


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
    triage_note: str | None = None  # what the person who triaged it wrote (no secret in it)


PLAN_VERSION = 2
# Triage decisions that take a credential off the "rotate now" list.
SETTLED_TRIAGE = frozenset({"accepted", "false-positive"})


class Section(enum.StrEnum):
    """The five parts of every plan, in the order a responder works through them."""

    ROTATE = "rotate"
    SQL = "sql"
    AUDIT = "audit"
    CLEAN = "clean"
    PREVENT = "prevent"

    @property
    def heading(self) -> str:
        return _SECTION_TITLES[self]


_SECTION_TITLES = {
    Section.ROTATE: "Rotate now",
    Section.SQL: "SQL to run",
    Section.AUDIT: "Audit for misuse",
    Section.CLEAN: "Clean up the leak",
    Section.PREVENT: "Stop it recurring",
}


@dataclass(frozen=True)
class Recommendation:
    """One concrete step. `commands` are SQL or shell lines to run as written."""

    section: Section
    order: int
    title: str
    detail: str
    commands: tuple[str, ...] = ()
    tier: int | None = None


@dataclass(frozen=True)
class CredentialPlan:
    """What to do about one credential, and why it ranks where it does."""

    credential: Credential
    risk: CredentialRisk
    locations: tuple[Location, ...]
    steps: tuple[Recommendation, ...]

    def section(self, section: Section) -> tuple[Recommendation, ...]:
        return tuple(s for s in self.steps if s.section is section)

    @property
    def status(self) -> str:
        """The triage status ("open" when never triaged)."""
        return self.risk.triage or "open"

    @property
    def settled(self) -> bool:
        """Triaged as accepted or a false positive: kept out of the "rotate now" list."""
        return self.risk.triage in SETTLED_TRIAGE


@dataclass(frozen=True)
class Plan:
    """Every credential's plan, highest risk first (triaged as accepted or false positive
    last), plus reuse and transport issues, and what was scanned."""

    generated_at: str
    credentials: tuple[CredentialPlan, ...]
    reuse: tuple[ReuseIssue, ...]
    transport: tuple[TransportIssue, ...]
    scanned: tuple[str, ...] = ()
    version: int = PLAN_VERSION
    # Why the store may not hold every leak (an interrupted or incomplete last scan, no
    # scan at all): a plan that says so is no clean bill.
    incomplete: tuple[str, ...] = ()
    groups: tuple[PlanGroup, ...] = ()  # with `report --group-by repository`

    @property
    def to_rotate(self) -> tuple[CredentialPlan, ...]:
        """The credentials to rotate now: every one not triaged accepted or false positive."""
        return tuple(p for p in self.credentials if not p.settled)

    def worst(self) -> Severity | None:
        """The highest severity among the credentials still to act on."""
        return max((p.risk.severity for p in self.to_rotate), default=None)
