"""Turn assessed credentials into ordered rotation plans that never contain a secret."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping, Sequence
from datetime import datetime

from pgsweep.assess.hosts import HostClass
from pgsweep.assess.locations import Location, Scrubber, location_of
from pgsweep.assess.plan import (
    SETTLED_TRIAGE,
    CredentialPlan,
    CredentialRisk,
    Plan,
    Recommendation,
    Section,
)
from pgsweep.assess.risk import assess_all
from pgsweep.assess.risk_factors import DEAD_STATUSES, Channel, TriageLike, VerificationLike
from pgsweep.assess.rotation_forms import matching
from pgsweep.assess.rotation_texts import Tiers, rotation_texts
from pgsweep.core.models import Credential, Finding, provenance_path
from pgsweep.findings.places import Place, group_places

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1


# --------------------------------------------------------------------------- quoting
def quote_ident(name: str) -> str:
    """A PostgreSQL identifier in double quotes, inner double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A PostgreSQL string literal: single quotes doubled; E'' form when it has a backslash,
    so it means the same with any standard_conforming_strings setting."""
    body = text.replace("'", "''")
    if "\\" in text:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def _successor(user: str) -> str:
    """The name of the new role of the two-credential sequence, within 63 bytes."""
    suffix = "_next"
    raw = user.encode("utf-8")
    room = MAX_IDENTIFIER_BYTES - len(suffix)
    if len(raw) > room:
        user = raw[:room].decode("utf-8", "ignore")
    return user + suffix


# --------------------------------------------------------------------------- sections
def _rotate_steps(c: Credential, r: CredentialRisk) -> list[Recommendation]:
    role = c.user or "<role>"
    age = f" for {r.exposure_days} days" if r.exposure_days is not None else ""
    already = r.verification in DEAD_STATUSES or r.triage == "rotated"
    steps = []
    if already:
        steps.append(Recommendation(
            Section.ROTATE, 1, "Confirm the rotation and finish the clean-up",
            f"The leaked password for {role} is reported as no longer working. Confirm no "
            "client still depends on it, then work through the audit and clean-up below: the "
            "old password must never be set again, and the leak shows how this secret is "
            "handled.",
        ))
    else:
        steps.append(Recommendation(
            Section.ROTATE, 1, "Treat the credential as compromised and rotate it now",
            f"It has been exposed{age} through "
            f"{', '.join(map(str, r.channels)) or 'an unknown channel'}. "
            "Assume someone copied it: removing it from where it leaked does not un-leak it, "
            "so rotate first and clean up after.",
        ))
    steps.append(Recommendation(
        Section.ROTATE, 2, "Zero downtime: the two-credential sequence",
        "1. Create the new credential (a second login role that acts as the old one, with a "
        "fresh random password). 2. Deploy it to every client through your secret store. "
        "3. Confirm in pg_stat_activity that no session still uses the old role. 4. Revoke "
        "the old credential (NOLOGIN and a new random password) and end its remaining "
        "sessions. If a short outage is acceptable, change the password in place instead.",
    ))
    provider = _provider_rotation(c, r)
    if provider is not None:
        steps.append(provider)
    if r.privileged:
        steps.append(Recommendation(
            Section.ROTATE, 4, "Keep a way back in before changing an admin password",
            f"{role} is an administrative role. Keep a second administrative session open (or "
            "the provider's reset path ready) while you change it, and move applications off "
            "this role onto a least-privilege one.",
        ))
    return steps


def _provider_rotation(c: Credential, r: CredentialRisk) -> Recommendation | None:
    p = r.host.provider or ""
    if not p:
        return None
    texts = rotation_texts()
    entry = texts.provider(p)
    if entry is None:
        return Recommendation(Section.ROTATE, 3, f"Rotate through {p}",
                              texts.rotate_default.format(provider=p))
    user = shlex.quote(c.user) if c.user else "<user>"
    commands = tuple(cmd.format(user=user) for cmd in entry.rotate_commands)
    return Recommendation(Section.ROTATE, 3, f"Rotate through {p}", entry.rotate_detail,
                          commands)


def _sql_steps(c: Credential) -> list[Recommendation]:
    role = c.user or "<role>"
    ident = quote_ident(role)
    lit = quote_literal(role)
    nxt = _successor(role)
    steps = [
        Recommendation(
            Section.SQL, 1, "Hash new passwords with SCRAM-SHA-256",
            "In the psql session you rotate from, make sure new passwords are stored as "
            "SCRAM-SHA-256 verifiers (md5 hashes can log in directly when stolen).",
            ("SET password_encryption = 'scram-sha-256';",),
        ),
        Recommendation(
            Section.SQL, 2, "Create the new credential",
            f"A second login role {quote_ident(nxt)} that is a member of {ident} and acts as it, "
            "so objects it creates stay owned by the old role. psql's \\password prompts for "
            "the new password and sends only its hash: no plaintext reaches the server log "
            "or your shell and psql history (never type ALTER ROLE … PASSWORD 'plaintext').",
            (
                f"CREATE ROLE {quote_ident(nxt)} WITH LOGIN INHERIT IN ROLE {ident};",
                f"ALTER ROLE {quote_ident(nxt)} SET role = {lit};",
                f"\\password {quote_ident(nxt)}",
            ),
        ),
        Recommendation(
            Section.SQL, 3, "Confirm nothing still uses the old credential",
            "After deploying the new credential, this must return no rows (repeat until it "
            "does; client_addr shows who is still connected).",
            (
                ("SELECT pid, usename, client_addr, application_name, backend_start "
                f"FROM pg_stat_activity WHERE usename = {lit};"),
            ),
        ),
        Recommendation(
            Section.SQL, 4, "Revoke the old credential and end its sessions",
            "Disable logins, replace the leaked password with a new random one (so it can "
            "never work again, even if NOLOGIN is undone), and terminate remaining sessions. "
            "If you rotate in place instead, run only the \\password line and tell clients.",
            (
                f"ALTER ROLE {ident} WITH NOLOGIN;",
                f"\\password {ident}",
                ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE usename = {lit};"),
            ),
        ),
    ]
    if c.user is None:
        steps.insert(0, Recommendation(
            Section.SQL, 0, "Find the role first",
            "The leak does not name the role: replace <role> below with the role that uses "
            "this password (check the application's configuration next to the leak).",
        ))
    return steps


def _audit_steps(c: Credential, r: CredentialRisk) -> list[Recommendation]:
    role = c.user or "<role>"
    lit = quote_literal(role)
    since = (r.first_seen or "")[:10] or "the first exposure"
    canary = f"canary_{c.id[1:9]}"
    grep_pattern = shlex.quote(f"connection authorized: user={role}")
    steps = [
        Recommendation(
            Section.AUDIT, 1, "Who is connected now",
            "Every current session of the role, with its client address and start time; any "
            "address you cannot attribute to your own clients is an incident.",
            (
                ("SELECT pid, usename, client_addr, client_hostname, application_name, "
                f"backend_start, state FROM pg_stat_activity WHERE usename = {lit};"),
            ),
        ),
        Recommendation(
            Section.AUDIT, 2, "Log every connection from now on",
            "log_connections records each authenticated login with its address (on managed "
            "services set it in the parameter group or server parameters instead).",
            (
                "ALTER SYSTEM SET log_connections = on;",
                "ALTER SYSTEM SET log_disconnections = on;",
                "SELECT pg_reload_conf();",
            ),
        ),
        Recommendation(
            Section.AUDIT, 3, f"Search logins since {since}",
            f"Look in the server logs (or CloudWatch, Azure Monitor, Cloud Logging) for logins "
            f"as {role} since {since} from addresses that are not your applications'.",
            (f"grep -h {grep_pattern} /var/log/postgresql/*.log",),
        ),
        Recommendation(
            Section.AUDIT, 4, "Record what the role does with pgAudit",
            "With the pgaudit extension loaded (shared_preload_libraries), log the role's "
            "statements until you are confident nothing else uses it.",
            (
                "CREATE EXTENSION IF NOT EXISTS pgaudit;",
                f"ALTER ROLE {quote_ident(role)} SET pgaudit.log = 'all';",
            ),
        ),
        Recommendation(
            Section.AUDIT, 5, "Plant a canary role",
            "A login role that no application uses: any connection as it means someone is "
            "trying leaked or guessed credentials. Alert on its name in the connection log.",
            (
                (f"CREATE ROLE {quote_ident(canary)} WITH LOGIN NOSUPERUSER NOCREATEDB "
                "NOCREATEROLE NOINHERIT CONNECTION LIMIT 1;"),
                f"\\password {quote_ident(canary)}",
            ),
        ),
    ]
    if r.privileged:
        steps.append(Recommendation(
            Section.AUDIT, 6, "Look for persistence an admin could leave behind",
            "An administrative credential can create roles, functions and extensions or run "
            "programs (COPY … PROGRAM). Review new or changed privileged roles.",
            (("SELECT rolname, rolsuper, rolcreaterole, rolcanlogin, rolvaliduntil "
             "FROM pg_roles WHERE rolsuper OR rolcreaterole ORDER BY rolname;"),),
        ))
    return steps


def _clean_steps(locations: Sequence[Location]) -> list[Recommendation]:
    by_channel: dict[Channel, list[Location]] = {}
    for loc in locations:
        by_channel.setdefault(loc.channel, []).append(loc)
    steps: list[Recommendation] = []
    for text in rotation_texts().clean:
        locs = by_channel.get(text.channel)
        if not locs:
            continue
        shown = sorted({loc.text for loc in locs})
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        paths = sorted({_git_path(loc.where) for loc in locs})[:5]
        commands = [cmd.format(path=shlex.quote(path)) for cmd in text.commands
                    for path in (paths if "{path}" in cmd else [""])]
        steps.append(Recommendation(
            Section.CLEAN, len(steps) + 1, text.title,
            text.detail.format(places=", ".join(shown[:10]) + more), tuple(commands),
        ))
    return steps


def _git_path(where: str) -> str:
    # "repo:path" → "path" (repo paths may contain ':' only on Windows drive letters)
    return where.split(":", 1)[1] if ":" in where and where[1:3] != ":\\" else where


def _prevent_tiers(r: CredentialRisk) -> Tiers:
    p = r.host.provider or ""
    texts = rotation_texts()
    entry = texts.provider(p) if p else None
    if entry is not None and entry.prevent is not None:
        return entry.prevent
    if r.host.cls is HostClass.LOCAL:
        return texts.prevent_local
    store = texts.provider_secret_store.format(provider=p) if p else texts.secret_store
    default = texts.prevent_default
    return Tiers(default.tier1.format(secret_store=store), default.tier2, default.tier3)


def _prevent_steps(r: CredentialRisk) -> list[Recommendation]:
    tiers = _prevent_tiers(r)
    return [
        Recommendation(Section.PREVENT, 1, "Tier 1: a secrets manager", tiers.tier1, tier=1),
        Recommendation(Section.PREVENT, 2, "Tier 2: identity-based or short-lived credentials",
                       tiers.tier2, tier=2),
        Recommendation(Section.PREVENT, 3, "Tier 3: certificates and verified TLS", tiers.tier3,
                       tier=3),
        Recommendation(
            Section.PREVENT, 4, "Block the next leak before it lands",
            "Run pgsweep as a pre-commit hook and in CI (pgsweep scan --staged), so a "
            "connection string with a password fails the commit.",
            ("pgsweep scan --staged",),
        ),
    ]


def _settled_steps(r: CredentialRisk, locations: Sequence[Location]) -> list[Recommendation]:
    if r.triage == "false-positive":
        return [Recommendation(
            Section.ROTATE, 1, "Nothing to rotate: triaged as a false positive",
            "This match was reviewed and is not a working credential. Run pgsweep triage "
            "with --status open if that changes.",
        )]
    return [Recommendation(
        Section.ROTATE, 1, "Not rotating: the risk was accepted",
        "This credential was reviewed and its risk accepted; it stays in the report with its "
        "severity. Clean-up and prevention still apply.",
    ), *_clean_steps(locations), *_prevent_steps(r)]


def _form_steps(findings: Sequence[Finding], scrub: Scrubber) -> list[Recommendation]:
    """Steps that belong to where the password lives (a pooler's file, a unit, a crontab)."""
    steps = matching((f.rule for f in findings),
                     (provenance_path(f.provenance) or "" for f in findings))
    return [Recommendation(Section.ROTATE, 5 + n, step.title, scrub(step.detail), step.commands)
            for n, step in enumerate(steps)]


def recommendations(c: Credential, r: CredentialRisk, locations: Sequence[Location],
                    form_steps: Sequence[Recommendation] = ()) -> tuple[Recommendation, ...]:
    """Every step for one credential, section by section."""
    if r.triage in SETTLED_TRIAGE:
        return tuple(_settled_steps(r, locations))
    return tuple(
        _rotate_steps(c, r) + list(form_steps) + _sql_steps(c) + _audit_steps(c, r)
        + _clean_steps(locations) + _prevent_steps(r)
    )


# --------------------------------------------------------------------------- the plan
def build_plan(
    findings: Sequence[Finding],
    credentials: Sequence[Credential],
    triage: Mapping[str, TriageLike] | None,
    verifications: Mapping[str, Sequence[VerificationLike]] | None,
    now: datetime,
    scanned: Sequence[str] = (),
    places: Sequence[Place] | None = None,
) -> Plan:
    """Assess and plan every credential; a pure function of its arguments. `places` are
    the findings' places (`group_places`), when the caller has them already.

    This is the one place severities are decided: each plan's credential carries its risk
    severity, and every reporter renders this plan rather than scoring anything itself.
    """
    scrub = Scrubber(f.secret for f in findings)
    safe_creds = [
        dataclasses.replace(
            c,
            user=scrub.opt(c.user),
            hosts=tuple(scrub.host(h) for h in c.hosts),
            database=scrub.opt(c.database),
        )
        for c in credentials
    ]
    assessment = assess_all(findings, safe_creds, now, verifications, triage)
    by_cred: dict[str, list[Place]] = {}
    for place in group_places(findings) if places is None else places:
        by_cred.setdefault(place.credential, []).append(place)
    creds = {c.id: c for c in safe_creds}
    plans = []
    for risk in assessment.risks:
        c = dataclasses.replace(creds[risk.credential], severity=risk.severity)
        places = by_cred.get(c.id, [])
        locs = tuple(sorted((location_of(pl, scrub) for pl in places),
                            key=lambda loc: (loc.seen or "", loc.where, loc.line)))
        forms = _form_steps([f for pl in places for f in pl.findings], scrub)
        plans.append(CredentialPlan(c, risk, locs, recommendations(c, risk, locs, forms)))
    plans.sort(key=lambda p: p.settled)  # stable: the risk order within each part
    return Plan(
        generated_at=now.isoformat(timespec="seconds"),
        credentials=tuple(plans),
        reuse=assessment.reuse,
        transport=assessment.transport,
        scanned=tuple(scanned),
    )
