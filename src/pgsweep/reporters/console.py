"""The terminal table: one row per credential, secrets redacted, and a summary line."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pgsweep.models import Severity
from pgsweep.reporters.interface import Report

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class ConsoleReporter:
    def render(self, report: Report, out: TextIO) -> None:
        console = Console(file=out, highlight=False, soft_wrap=False, width=160)
        by_id = {f.id: f for f in report.findings}
        if report.credentials:
            table = Table(title="Leaked PostgreSQL credentials", title_justify="left")
            triaged = any(p.status != "open" for p in report.plan.credentials)
            for col in ("severity", *(("status",) if triaged else ()), "credential",
                        "user@host", "kind", "secret", "occurrences", "first seen"):
                table.add_column(col, overflow="fold")
            for p in report.plan.credentials:
                c = p.credential
                first = by_id.get(c.findings[0]) if c.findings else None
                secret = first.secret if (report.reveal and first) else c.redacted
                table.add_row(
                    f"[{_STYLE[c.severity]}]{c.severity}[/]",
                    *((p.status,) if triaged else ()),
                    c.id,
                    f"{c.user or '?'}@{','.join(c.hosts) or '?'}",
                    str(c.kind),
                    secret,
                    str(len(c.findings)),
                    c.first_seen or "",
                )
            console.print(table)
        if report.users:
            users = Table(title="Per user", title_justify="left")
            for col in ("user", "home", "files", "findings", "credentials", "skipped",
                        "encrypted saved passwords", "repos", "risks"):
                users.add_column(col, overflow="fold")
            for u in report.users:
                users.add_row(escape(u.user), escape(u.home), str(u.files), str(u.findings),
                              str(u.credentials), str(u.skipped), str(u.encrypted_present),
                              str(u.repos), escape("\n".join(u.risk_flags)))
            console.print(users)
        s = report.stats
        suppressed = sum(s.suppressed.values())
        skipped = sum(s.skipped.values())
        console.print(
            f"{len(report.credentials)} credentials in {len(report.findings)} findings; "
            f"scanned {s.chunks} chunks ({s.bytes:,} bytes) in {s.seconds:.2f}s; "
            f"{suppressed} suppressed, {skipped} skipped"
        )
