"""The rotation plan as Markdown: a summary table, the issues, then each credential's steps."""

from __future__ import annotations

import re

from pgsweep.assess.plan import CRITICAL_AT, HIGH_AT, MEDIUM_AT, CredentialPlan, Plan, Section
from pgsweep.core.display import counted, printable, printable_lines
from pgsweep.core.models import Severity
from pgsweep.reporters.interface import PlanTextReporter


def cell(text: object) -> str:
    """Text safe inside a table cell: no pipes, newlines or markup that changes the table."""
    s = printable(re.sub(r"[\r\n\t]+", " ", str(text)))
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", s)


def prose(text: object) -> str:
    """Running text: keep it readable raw, but no stray markup, HTML tags or broken lines."""
    s = printable(re.sub(r"[\r\n\t]+", " ", str(text)))
    s = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", s)  # a backslash that would escape
    s = re.sub(r"([`*\[\]|])", r"\\\1", s)
    s = re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", s)  # intraword underscores are literal
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", s)  # only what could open an HTML tag


def code(text: object) -> str:
    """Inline code whose fence is longer than any backtick run inside."""
    s = printable(re.sub(r"[\r\n]+", " ", str(text)))
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def block(lines: tuple[str, ...], lang: str) -> str:
    body = printable_lines("\n".join(lines))
    longest = max((len(m) for m in re.findall(r"`{3,}|~{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _account(p: CredentialPlan) -> str:
    c = p.credential
    return f"{c.user or '?'}@{','.join(c.hosts) or '?'}"


def _lang(commands: tuple[str, ...]) -> str:
    first = commands[0] if commands else ""
    sql = first.startswith(("SELECT", "ALTER", "CREATE", "SET", "\\password", "GRANT"))
    return "sql" if sql else "sh"


def severity_counts(plans: tuple[CredentialPlan, ...]) -> str:
    """"2 critical, 1 high": how many credentials at each severity, highest first."""
    counts: dict[str, int] = {}
    for p in sorted(plans, key=lambda p: -p.risk.severity):
        counts[str(p.risk.severity)] = counts.get(str(p.risk.severity), 0) + 1
    return ", ".join(f"{n} {sev}" for sev, n in counts.items()) or "none"


def render_markdown(plan: Plan) -> str:
    out: list[str] = ["# pgsweep rotation plan", ""]
    if plan.scanned:
        out += ["Scanned: " + ", ".join(code(t) for t in plan.scanned) + ".", ""]
    settled = len(plan.credentials) - len(plan.to_rotate)
    triaged = (f"; {settled} more triaged as accepted or false positive" if settled else "")
    out += [(f"Generated {plan.generated_at}. {counted(len(plan.to_rotate), 'leaked credential')} "
            f"to rotate now ({severity_counts(plan.to_rotate)}){triaged}, highest risk first. "
            "No secret appears in this report; values are redacted."), ""]
    for why in plan.incomplete:
        out += [f"> **Incomplete:** {prose(why)}; credentials may be missing from this plan.",
                ""]
    if plan.credentials:
        out += ["## Credentials", "",
                ("| # | severity | status | credential | account | secret | host | exposed via | "
                "first seen | days | verification |"),
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for i, p in enumerate(plan.credentials, 1):
            r = p.risk
            host = str(r.host.cls) + (f" ({r.host.provider})" if r.host.provider else "")
            out.append(
                f"| {i} | **{r.severity}** | {cell(p.status)} | "
                f"[{cell(p.credential.id)}](#{p.credential.id}) | "
                f"{cell(_account(p))} | {cell(p.credential.redacted)} | {cell(host)} | "
                f"{cell(', '.join(map(str, r.channels)))} | {cell((r.first_seen or '?')[:10])} | "
                f"{r.exposure_days if r.exposure_days is not None else '?'} | "
                f"{cell(r.verification or 'not verified')} |"
            )
        out.append("")
    if plan.reuse or plan.transport:
        out += ["## Issues", ""]
    if plan.reuse:
        out += ["### Password reuse across environments", ""]
        for ru in plan.reuse:
            accounts = ", ".join(
                f"{code(a)} ({h})" for a, h in zip(ru.accounts, ru.host_classes, strict=True))
            spans = (" A leak in one environment opens the others." if ru.spans_environments
                     else "")
            out.append(f"- **{ru.severity}**: one password is used by {accounts}.{spans} "
                       f"Rotate all of them, each to its own new password "
                       f"({', '.join(ru.credentials)}).")
        out.append("")
    if plan.transport:
        out += ["### Weak transport", ""]
        for t in plan.transport:
            out.append(f"- [{t.credential}](#{t.credential}): {cell(t.reason)}. Use "
                       "`sslmode=verify-full` with `sslrootcert`.")
        out.append("")
    if plan.groups:
        severity: dict[str, Severity] = {p.credential.id: p.risk.severity for p in plan.credentials}
        out += ["## By repository", ""]
        for g in plan.groups:
            out += [f"### {code(g.name)} ({len(g.credentials)} credentials)", ""]
            out += [f"- **{severity[cid]}** [{cell(cid)}](#{cid})" for cid in g.credentials]
            out.append("")
    for i, p in enumerate(plan.credentials, 1):
        out += _credential_section(i, p)
    if not plan.credentials:
        out += ["No leaked credentials in the store.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _credential_section(i: int, p: CredentialPlan) -> list[str]:
    c, r = p.credential, p.risk
    out = [f'<a id="{c.id}"></a>', "",
           f"## {i}. {r.severity}: {code(_account(p))} ({c.id})", ""]
    if p.settled:
        out += [f"Triaged {prose(p.status)}: not in the rotate-now list.", ""]
    facts = [
        f"database {code(c.database or '?')}",
        f"{c.kind}",
        f"secret {code(c.redacted)}",
        f"fingerprint {code(c.fingerprint[:16])}",
    ]
    out += ["- " + "; ".join(facts), ""]
    out += [(f"**Why {r.severity}** (score {r.score}; critical ≥ {CRITICAL_AT}, high ≥ {HIGH_AT}, "
            f"medium ≥ {MEDIUM_AT}):"), "", "| effect | factor | reason |", "|---|---|---|"]
    for f in r.factors:
        out.append(f"| {cell(f.describe_effect())} | {cell(f.name)} | {cell(f.reason)} |")
    out += ["", "**Where it leaked:**", ""]
    for loc in p.locations:
        bits = [str(loc.channel), code(loc.text), *loc.notes(prose)]
        out.append("- " + ", ".join(bits))
    out.append("")
    for section in Section:
        steps = p.section(section)
        if not steps:
            continue
        out += [f"### {section.heading}", ""]
        for n, s in enumerate(steps, 1):
            out.append(f"{n}. **{prose(s.title)}**. {prose(s.detail)}")
            if s.commands:
                out += ["", *("   " + ln for ln in block(s.commands, _lang(s.commands))
                              .split("\n")), ""]
        out.append("")
    return out


class MarkdownReporter(PlanTextReporter):
    """The plan as Markdown."""

    render_text = staticmethod(render_markdown)
