"""The terminal report: each credential with where it leaked, secrets redacted, a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pgsweep.assess.plan import CredentialPlan
from pgsweep.core.display import counted, printable
from pgsweep.core.models import (
    CiLogProvenance,
    DesktopProvenance,
    FileProvenance,
    GitProvenance,
    HistoryProvenance,
    Severity,
    provenance_path,
)
from pgsweep.findings.places import Place, is_uncommitted
from pgsweep.reporters.interface import Report, Verbosity

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_SEVERITY_WIDTH = max(len(str(s)) for s in Severity)
_INDENT = " " * (_SEVERITY_WIDTH + 2)
# What to do after reading the list (each line fits 80 columns): the commands that say why
# a credential got its severity and how to rotate it, from the store or from a rescan.
NEXT_FROM_STORE = (
    "Next: pgsweep explain ID   why a credential got its severity",
    "      pgsweep report       the rotation plan: SQL to run, what to audit, cleanup",
)
# A pre-commit catch (`scan --staged`): nothing was committed, so nothing needs rotating yet.
NEXT_STAGED = (
    "Next: not committed yet: move the password out of the file (an environment",
    "      variable, a secret store), git add it again, and commit",
)
NEXT_WITHOUT_STORE = (
    "Next: --format markdown    the rotation plan: why each severity, the SQL to run,",
    "                           what to audit and clean up",
)


def place_text(place: Place, repository: bool = False) -> tuple[str, str]:
    """`path:line` (after the user, in a sweep; after the repository, in an audit), and
    what else says where: the short commit and whether it is still at HEAD (git), the
    reader or tool."""
    f = place.finding
    p = f.provenance
    where = f"{provenance_path(p) or '?'}:{f.line}"
    if repository and isinstance(p, GitProvenance):
        where = f"{p.repo}: {where}"
    bits: list[str] = []
    if isinstance(p, GitProvenance):
        if place.commit:
            bits.append(place.commit[:8])
            if place.present_at_head is False and p.reachable:
                bits.append("not at HEAD, still in history")
        elif p.reachable:
            bits.append("not committed")  # a staged file (pre-commit)
        if place.versions > 1:
            bits.append(f"{place.versions} versions")
        if not p.reachable:  # a dangling object: in no history, kept until git gc prunes it
            bits.append("unreachable: no ref holds it")
    elif isinstance(p, CiLogProvenance):
        bits.append(" ".join(b for b in (p.system, p.job or "") if b))
    elif isinstance(p, HistoryProvenance):
        bits.append(f"{p.shell} history")
    elif isinstance(p, DesktopProvenance):
        bits.append(p.tool + (f" {p.connection}" if p.connection else ""))
    elif isinstance(p, FileProvenance) and p.reader not in ("text", "worktree"):
        bits.append(p.reader)
    user = p.user
    lead = f"{user}: " if user else ""
    return lead + where, f"({', '.join(bits)})" if bits else ""


def escape(text: str) -> str:
    """Scanned text for the terminal: control characters and undecodable bytes escaped
    (`\\x1b`, `\\xff`), and never read as markup."""
    from rich.markup import escape as markup_escape  # loaded by render (start-up time)

    return markup_escape(printable(text))


def cell(text: str) -> str:
    """Scanned text as a table cell (see `escape`)."""
    return escape(text)


class ConsoleReporter:
    def render(self, report: Report, out: TextIO) -> None:
        # rich loads when a terminal report is written, not with every scan (start-up time)
        from rich.console import Console

        # The width follows the terminal (or COLUMNS); paths are never cut or folded: a
        # line longer than the terminal wraps whole.
        console = Console(file=out, highlight=False, soft_wrap=True,
                          color_system=None if report.color is False else "auto")
        places: dict[str, list[Place]] = {}
        for pl in report.places:
            places.setdefault(pl.credential, []).append(pl)
        shown = [p for p in report.plan.credentials
                 if report.show_info or p.risk.severity > Severity.INFO]
        folded = len(report.plan.credentials) - len(shown)
        if report.verbosity is not Verbosity.QUIET:
            if shown:
                console.print(f"[bold]Leaked PostgreSQL credentials[/] ({len(shown)})")
            for p in shown:
                self._credential(console, report, p, places.get(p.credential.id, []))
            if folded:
                if shown:
                    console.print()
                # (fits 80 columns)
                console.print(f"{counted(folded, 'info-level credential')} not listed "
                              "(--show-info)")
            if report.users:
                self._users(console, report)
            if report.repositories:
                self._repositories(console, report)
            if shown:
                console.print()
                # staged and in no commit (a staged copy of a committed file is in history)
                staged = all(is_uncommitted(pl.finding) and not pl.present_at_head
                             for pl in report.places)
                for line in (NEXT_STAGED if staged else NEXT_FROM_STORE if report.stored
                             else NEXT_WITHOUT_STORE):
                    console.print(f"[dim]{line}[/]")
        self._summary(console, report, len(shown), folded)

    def _credential(self, console: Console, report: Report, p: CredentialPlan,
                    places: list[Place]) -> None:
        c, r = p.credential, p.risk
        secret = c.redacted
        if report.reveal:
            first = places[0].finding if places else None
            secret = first.secret if first is not None else secret
        status = f"  ({p.status})" if p.status != "open" else ""
        sev = f"[{_STYLE[r.severity]}]{str(r.severity).upper():<{_SEVERITY_WIDTH}}[/]"
        # user@host/database, as a connection URI writes them
        account = f"{c.user or '?'}@{','.join(c.hosts) or '?'}" + (
            f"/{c.database}" if c.database else "")
        rest = f"{secret}{status}  "
        console.print()
        # What does not fit the width goes to the next line, never folded mid-word.
        if len(_INDENT + account + "  " + rest) + len(c.id) <= console.width:
            console.print(f"{sev}  {escape(account)}  {escape(rest)}[dim]{c.id}[/]")
        else:
            console.print(f"{sev}  {escape(account)}")
            console.print(f"{_INDENT}{escape(rest)}[dim]{c.id}[/]")
        listed = places if report.verbosity is Verbosity.VERBOSE else places[:1]
        for pl in listed:
            # an audit's or a sweep's git places name their repository (a sweep's one of
            # many found in the homes)
            where, detail = place_text(pl, repository=bool(report.repositories or report.users))
            if detail and len(_INDENT + where + "  " + detail) > console.width:
                console.print(_INDENT + escape(where))
                console.print(_INDENT + "  " + escape(detail))
            else:
                console.print(_INDENT + escape(f"{where}  {detail}".rstrip()))
        more = len(places) - len(listed)
        if more:
            console.print(f"{_INDENT}[dim]+{more} place{'s' if more > 1 else ''} "
                          "(-v lists every place)[/]")

    def _users(self, console: Console, report: Report) -> None:
        """One line per swept user: readable at any width, unlike a wide table."""
        console.print()
        console.print("[bold]Per user[/]")
        for u in report.users:
            risks = f"; {', '.join(u.risk_flags)}" if u.risk_flags else ""
            console.print(escape(
                f"{u.user} ({u.home}): {counted(u.files, 'file')}, "
                f"{counted(u.findings, 'finding')}, {counted(u.credentials, 'credential')}, "
                f"{u.skipped} skipped, {counted(u.encrypted_present, 'encrypted saved password')}"
                f", {u.repos} {'repository' if u.repos == 1 else 'repositories'}{risks}"))

    def _repositories(self, console: Console, report: Report) -> None:
        """One line per audited repository: its counts, or why it was skipped."""
        console.print()
        console.print("[bold]Per repository[/]")
        for r in report.repositories:
            if r.error is not None:
                console.print(f"[bold red]skipped[/] {escape(r.repository)}: {escape(r.error)}")
            else:
                console.print(escape(
                    f"{r.repository}: {counted(r.credentials, 'credential')} in "
                    f"{counted(r.findings, 'finding')}"))

    def _summary(self, console: Console, report: Report, shown: int, folded: int) -> None:
        s = report.stats
        counts: dict[Severity, int] = {}
        for p in report.plan.credentials:
            counts[p.risk.severity] = counts.get(p.risk.severity, 0) + 1
        by_sev = ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items(), reverse=True))
        if report.verbosity is not Verbosity.QUIET and (shown or folded):
            console.print()
        if report.plan.credentials:
            console.print(
                f"{counted(len(report.plan.credentials), 'credential')} in "
                f"{counted(len(report.places), 'finding')} ({by_sev})")
        else:
            console.print("no leaked PostgreSQL credentials found"
                          + (" in what could be read" if s.incomplete else ""))
        # a git scan reads blobs; anything else files (a file's members, messages… count)
        # git blobs, and files (or a file's members, messages…); only bytes when nothing
        # was read (an empty folder, a rescan with nothing new)
        read = [counted(n, noun) for n, noun in ((s.blobs, "blob"),
                                                 (s.chunks - s.blobs, "file")) if n > 0]
        what = (f"{' and '.join(read)} ({counted(s.bytes, 'byte')})" if read
                else counted(s.bytes, "byte"))
        console.print(
            f"scanned {what} in {s.seconds:.2f}s; "
            f"{sum(s.suppressed.values())} suppressed, {sum(s.skipped.values())} skipped"
        )
        if s.incomplete:
            console.print(
                f"[bold red]INCOMPLETE[/]: {len(s.incomplete)} part(s) of the input could not "
                f"be read, so this result is not a clean bill: {escape(s.incomplete[0])}")
