"""The rotation plan as one self-contained HTML file: table, exposure timeline, steps."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from pgsweep.assess.plan import CRITICAL_AT, HIGH_AT, MEDIUM_AT, CredentialPlan, Plan, Section
from pgsweep.assess.risk_factors import Channel
from pgsweep.core.display import counted, printable, printable_lines
from pgsweep.core.models import Severity
from pgsweep.core.times import parse_time, utc_now
from pgsweep.reporters.interface import PlanTextReporter


def e(value: object) -> str:
    """HTML-escape anything, quotes included (safe in text and attribute values); control
    characters and undecodable bytes escaped first (`\\x1b`)."""
    return escape(printable(str(value)), quote=True)


_CSS = """
:root{--crit:#b00020;--high:#d9480f;--med:#b08900;--low:#2b7a78;--info:#6c757d;
--git:#6f42c1;--ci:#0b7285;--cfg:#495057;--desk:#5c940d;--hist:#c2255c;}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;
background:#f8f9fa}
header,main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem}
header{border-bottom:1px solid #dee2e6;background:#fff;max-width:none}
h1{margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #dee2e6}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #dee2e6;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
pre{background:#212529;color:#f8f9fa;padding:.6rem .8rem;border-radius:4px;overflow-x:auto;
white-space:pre-wrap;word-break:break-all}
.sev{display:inline-block;padding:0 .5rem;border-radius:3px;color:#fff;font-weight:600}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}
.sev-medium{background:var(--med)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.plan{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:.2rem 1.2rem 1rem;
margin:1.5rem 0}
.step-title{font-weight:600}
.muted{color:#6c757d}
svg text{font:12px system-ui,sans-serif;fill:#212529}
.timeline-bar.sev-critical{fill:var(--crit)}.timeline-bar.sev-high{fill:var(--high)}
.timeline-bar.sev-medium{fill:var(--med)}.timeline-bar.sev-low{fill:var(--low)}
.timeline-bar.sev-info{fill:var(--info)}.timeline-bar{opacity:.35}
.timeline-bar.closed{opacity:.15}
.timeline-event{stroke:#fff;stroke-width:1.5}
.ch-git-history{fill:var(--git)}.ch-ci-log{fill:var(--ci)}.ch-config-file{fill:var(--cfg)}
.ch-desktop-tool{fill:var(--desk)}.ch-shell-history{fill:var(--hist)}
.axis line{stroke:#adb5bd}.axis text{fill:#6c757d}
.legend span{display:inline-block;margin-right:1rem}
.dot{display:inline-block;width:.8em;height:.8em;border-radius:50%;vertical-align:middle;
margin-right:.3em}
""".strip()

_CHANNEL_COLOR = {
    Channel.GIT: "var(--git)", Channel.CI_LOG: "var(--ci)", Channel.CONFIG: "var(--cfg)",
    Channel.DESKTOP: "var(--desk)", Channel.HISTORY: "var(--hist)",
}

# Timeline geometry (SVG user units).
_LABEL_W, _PLOT_W, _ROW_H, _TOP = 300, 760, 28, 30


def _account(p: CredentialPlan) -> str:
    c = p.credential
    return f"{c.user or '?'}@{','.join(c.hosts) or '?'}"


def _sev(sev: object) -> str:
    return f'<span class="sev sev-{e(sev)}">{e(sev)}</span>'


def render_html(plan: Plan) -> str:
    now = parse_time(plan.generated_at) or utc_now()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may be loaded from anywhere: the file is the whole report.
        ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; img-src data:">'),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pgsweep rotation plan</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>pgsweep rotation plan</h1>",
        *([f'<p class="scanned">Scanned: {", ".join(f"<code>{e(t)}</code>" for t in plan.scanned)}'
           "</p>"] if plan.scanned else []),
        (f'<p class="muted">Generated <time datetime="{e(plan.generated_at)}">'
        f"{e(plan.generated_at)}</time>. {counted(len(plan.to_rotate), 'leaked credential')} to "
        f"rotate now{_settled_note(plan)}, highest risk first. No secret appears in this report; "
        "values are redacted.</p>"),
        *(f'<p class="incomplete"><strong>Incomplete:</strong> {e(why)}; credentials may be '
          "missing from this plan.</p>" for why in plan.incomplete),
        "</header>",
        "<main>",
    ]
    parts.append(_table(plan))
    parts.append(_timeline(plan, now))
    parts.append(_issues(plan))
    parts.append(_groups(plan))
    for i, p in enumerate(plan.credentials, 1):
        parts.append(_credential(i, p))
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _settled_note(plan: Plan) -> str:
    settled = len(plan.credentials) - len(plan.to_rotate)
    return f"; {settled} more triaged as accepted or false positive" if settled else ""


def _table(plan: Plan) -> str:
    rows = []
    for i, p in enumerate(plan.credentials, 1):
        r, c = p.risk, p.credential
        host = f"{r.host.cls}" + (f" ({r.host.provider})" if r.host.provider else "")
        days = r.exposure_days if r.exposure_days is not None else "?"
        rows.append(
            f'<tr id="row-{e(c.id)}" data-credential="{e(c.id)}" data-severity="{e(r.severity)}"'
            f' data-status="{e(p.status)}">'
            f"<td>{i}</td><td>{_sev(r.severity)}</td><td>{e(p.status)}</td>"
            f'<td><a href="#plan-{e(c.id)}"><code>{e(c.id)}</code></a></td>'
            f"<td><code>{e(_account(p))}</code></td><td><code>{e(c.redacted)}</code></td>"
            f"<td>{e(host)}</td><td>{e(', '.join(map(str, r.channels)))}</td>"
            f"<td>{e((r.first_seen or '?')[:10])}</td><td>{e(days)}</td>"
            f"<td>{e(r.verification or 'not verified')}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="11">No leaked credentials.</td></tr>'
    return (
        '<section id="credentials"><h2>Credentials</h2>'
        '<table id="credentials-table" class="credentials"><thead><tr>'
        "<th>#</th><th>severity</th><th>status</th><th>credential</th><th>account</th><th>secret</th>"
        "<th>host</th><th>exposed via</th><th>first seen</th><th>days exposed</th>"
        f"<th>verification</th></tr></thead><tbody>\n{body}\n</tbody></table></section>"
    )


def _timeline(plan: Plan, now: datetime) -> str:
    events: list[tuple[CredentialPlan, list[tuple[datetime, str, str]]]] = []
    for p in plan.credentials:
        evs = []
        for loc in p.locations:
            t = parse_time(loc.seen)
            if t is not None:
                evs.append((t, str(loc.channel), f"{loc.channel}: {loc.text}"))
        if not evs:
            t = parse_time(p.risk.first_seen)
            if t is not None:
                evs.append((t, "unknown", "first seen"))
        events.append((p, sorted(evs, key=lambda x: x[0])))
    times = [t for _, evs in events for t, _, _ in evs]
    start = min(times, default=now - timedelta(days=30))
    end = max([now, *times])
    if end - start < timedelta(days=1):
        start = end - timedelta(days=1)
    span = (end - start).total_seconds()

    def x(t: datetime) -> float:
        return round(_LABEL_W + (t - start).total_seconds() / span * _PLOT_W, 1)

    height = _TOP + _ROW_H * max(1, len(events)) + 10
    width = _LABEL_W + _PLOT_W + 20
    svg = [
        (f'<svg id="exposure-timeline" class="timeline" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Exposure timeline from {e(start.date())} to {e(end.date())}">'),
        '<g class="axis">',
    ]
    fmt = "%Y-%m-%d" if end - start > timedelta(days=4) else "%Y-%m-%d %H:%M"
    for k in range(5):
        t = start + (end - start) * (k / 4)
        xx = x(t)
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        svg.append(f'<line x1="{xx}" y1="{_TOP - 8}" x2="{xx}" y2="{height - 5}"/>'
                   f'<text x="{xx}" y="{_TOP - 12}" text-anchor="{anchor}">'
                   f"{e(t.strftime(fmt))}</text>")
    svg.append("</g>")
    for row, (p, evs) in enumerate(events):
        y = _TOP + row * _ROW_H
        r = p.risk
        label = f"{p.credential.id} {_account(p)}"
        if len(label) > 33:
            label = label[:32] + "…"
        svg.append(f'<g class="timeline-row" data-credential="{e(p.credential.id)}">')
        svg.append(f'<text x="4" y="{y + 17}"><title>{e(_account(p))}</title>{e(label)}</text>')
        if evs:
            first = evs[0][0]
            closed = " closed" if (r.verification in ("rotated", "invalid")
                                   or r.triage in ("rotated", "false-positive")) else ""
            days = r.exposure_days if r.exposure_days is not None else (now - first).days
            bar_w = max(2.0, round(x(end) - x(first), 1))
            svg.append(f'<text class="timeline-days" x="{_LABEL_W - 8}" y="{y + 17}" '
                       f'text-anchor="end">{e(days)} d</text>')
            svg.append(
                f'<rect class="timeline-bar sev-{e(r.severity)}{closed}" x="{x(first)}" '
                f'y="{y + 6}" width="{bar_w}" height="14" rx="3">'
                f"<title>{e(p.credential.id)}: exposed since {e(first.date())} "
                f"({e(days)} days)</title></rect>"
            )
            for t, ch, what in evs:
                svg.append(
                    f'<circle class="timeline-event ch-{e(ch)}" data-channel="{e(ch)}" '
                    f'cx="{x(t)}" cy="{y + 13}" r="5"><title>{e(t.isoformat())} '
                    f"{e(what)}</title></circle>"
                )
        else:
            svg.append(f'<text class="timeline-unknown" x="{_LABEL_W}" y="{y + 17}">'
                       "time of exposure not recorded</text>")
        svg.append("</g>")
    svg.append("</svg>")
    legend = "".join(
        f'<span><i class="dot" style="background:{color}"></i>{e(ch)}</span>'
        for ch, color in _CHANNEL_COLOR.items()
    )
    return (
        '<section id="timeline"><h2>Exposure timeline</h2>'
        '<p class="muted">Each bar runs from the first time a credential was seen to now (it '
        "stays exposed until rotated; faded bars are rotated); each dot is one place it was "
        f'seen.</p><p class="legend">{legend}</p>' + "\n".join(svg) + "</section>"
    )


def _issues(plan: Plan) -> str:
    if not plan.reuse and not plan.transport:
        return ""
    out = ['<section id="issues"><h2>Issues</h2>']
    if plan.reuse:
        out.append('<h3>Password reuse across environments</h3><ul class="reuse">')
        for ru in plan.reuse:
            accounts = ", ".join(f"<code>{e(a)}</code> ({e(h)})"
                                 for a, h in zip(ru.accounts, ru.host_classes, strict=True))
            spans = " A leak in one environment opens the others." if ru.spans_environments else ""
            out.append(f"<li>{_sev(ru.severity)} one password is used by {accounts}.{spans} "
                       "Rotate all of them, each to its own new password.</li>")
        out.append("</ul>")
    if plan.transport:
        out.append('<h3>Weak transport</h3><ul class="transport">')
        for t in plan.transport:
            out.append(f'<li><a href="#plan-{e(t.credential)}"><code>{e(t.credential)}</code>'
                       f"</a>: {e(t.reason)}. Use <code>sslmode=verify-full</code> with "
                       "<code>sslrootcert</code>.</li>")
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _groups(plan: Plan) -> str:
    """With --group-by repository: each repository and the credentials seen in it."""
    if not plan.groups:
        return ""
    severity: dict[str, Severity] = {p.credential.id: p.risk.severity for p in plan.credentials}
    out = ['<section id="repositories"><h2>By repository</h2>']
    for g in plan.groups:
        out.append(f"<h3><code>{e(g.name)}</code> ({len(g.credentials)} credentials)</h3><ul>")
        out.extend(f'<li>{_sev(severity[cid])} <a href="#plan-{e(cid)}"><code>{e(cid)}</code>'
                   "</a></li>" for cid in g.credentials)
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _credential(i: int, p: CredentialPlan) -> str:
    c, r = p.credential, p.risk
    out = [
        f'<section class="plan" id="plan-{e(c.id)}" data-credential="{e(c.id)}">',
        (f"<h2>{i}. {_sev(r.severity)} <code>{e(_account(p))}</code> "
        f'<span class="muted">{e(c.id)}</span></h2>'),
        (f"<p>database <code>{e(c.database or '?')}</code>; {e(c.kind)}; secret "
        f"<code>{e(c.redacted)}</code>; fingerprint <code>{e(c.fingerprint[:16])}</code></p>"),
        (f"<h3>Why {e(r.severity)}</h3><p class=\"muted\">score {e(r.score)}; critical ≥ "
        f"{CRITICAL_AT}, high ≥ {HIGH_AT}, medium ≥ {MEDIUM_AT}</p>"),
        ('<table class="factors"><thead><tr><th>effect</th><th>factor</th><th>reason</th></tr>'
        "</thead><tbody>"),
    ]
    for f in r.factors:
        out.append(f"<tr><td>{e(f.describe_effect())}</td><td><code>{e(f.name)}</code></td>"
                   f"<td>{e(f.reason)}</td></tr>")
    out.append("</tbody></table><h3>Where it leaked</h3><ul class=\"locations\">")
    for loc in p.locations:
        bits = [f"{e(loc.channel)} <code>{e(loc.text)}</code>", *loc.notes(e)]
        out.append(f"<li>{', '.join(bits)}</li>")
    out.append("</ul>")
    for section in Section:
        steps = p.section(section)
        if not steps:
            continue
        out.append(f'<h3>{e(section.heading)}</h3><ol class="steps steps-{e(section)}">')
        for s in steps:
            cmds = (f"<pre><code>{escape(printable_lines(chr(10).join(s.commands)))}</code></pre>"
                    if s.commands else "")
            out.append(f'<li><span class="step-title">{e(s.title)}</span>. {e(s.detail)}'
                       f"{cmds}</li>")
        out.append("</ol>")
    out.append("</section>")
    return "\n".join(out)


class HtmlReporter(PlanTextReporter):
    """The plan as one self-contained HTML page."""

    render_text = staticmethod(render_html)
