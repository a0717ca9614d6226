"""`pgsweep baseline create|audit`: record today's findings, then triage them by hand."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Prompt

from pgsweep.cli import app, say
from pgsweep.core import config as config_mod
from pgsweep.core.display import counted, printable
from pgsweep.core.options import ScanOptions
from pgsweep.findings import baseline as baseline_mod
from pgsweep.jobs.scan import load_config, run_scan
from pgsweep.reporters.outfiles import prepare_output

baseline_app = typer.Typer(help="Create and audit baselines of known findings.",
                           no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("create")
def create(
    path: str = typer.Argument(
        ".", metavar="PATH", help="Git repository, folder or file to scan."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the baseline."),
    config: Path | None = typer.Option(
        None, "--config", metavar="FILE", help="pgsweep.toml or pyproject.toml."),
    exclude: list[str] = typer.Option(
        [], "--exclude", metavar="PATTERN",
        help="Skip paths matching a gitignore pattern (repeatable).",
    ),
) -> None:
    """Scan PATH and write every finding as a hash-only baseline entry (no plaintext)."""
    prepare_output(output)
    cfg = load_config(path, config)
    opts = ScanOptions(path=path, excludes=(*cfg.excludes, *exclude),
                       extra_signatures=cfg.signatures)
    root = config_mod.scan_root(path)
    result = baseline_mod.apply(run_scan(opts, None), cfg.suppressors(), root)
    previous = baseline_mod.load(output) if output.is_file() else None
    b = baseline_mod.create(result.findings, root, previous)
    baseline_mod.save(b, output)
    kept = sum(1 for e in b.entries if e.is_secret is not None)
    say(f"wrote {len(b.entries)} entries to {output}"
               + (f" ({kept} audit decisions kept)" if kept else ""))


_CHOICES = {"y": True, "n": False}


@baseline_app.command("audit")
def audit(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="A baseline written by `pgsweep baseline create`."),
    all_entries: bool = typer.Option(False, "--all", help="Also revisit entries already decided."),
) -> None:
    """Mark each entry a true (y) or false (n) positive; s skips, q saves and stops."""
    b = baseline_mod.load(file)
    console = Console(highlight=False)
    todo = [i for i, e in enumerate(b.entries) if all_entries or e.is_secret is None]
    if not todo:
        console.print(escape(printable(
            f"nothing to audit in {file} ({len(b.entries)} entries already decided)")))
        return
    for n, i in enumerate(todo, 1):
        e = b.entries[i]
        console.print(Panel(
            f"[bold]{escape(e.rule)}[/]  {e.severity}\n"
            + escape(printable(f"{e.path}:{e.line}"))
            + (f"  (commit {e.commit[:12]})" if e.commit else "") + "\n"
            + escape(printable(f"{e.user or '?'}@{e.host or '?'}  secret {e.redacted}")) + "\n"
            f"credential {e.credential}"
            + (f"\ncurrent decision: {'true' if e.is_secret else 'false'} positive"
               if e.is_secret is not None else ""),
            title=f"entry {n}/{len(todo)}", title_align="left",
        ))
        try:
            answer = Prompt.ask("Real secret? (y)es / (n)o, a false positive / (s)kip / (q)uit",
                                choices=["y", "n", "s", "q"], console=console, show_choices=False)
        except EOFError:  # the answers ran out: end the prompt's line, save and stop
            console.print()
            answer = "q"
        if answer == "q":
            break
        if answer != "s":
            b = baseline_mod.with_decision(b, i, _CHOICES[answer])
            baseline_mod.save(b, file)  # every answer is kept, even if the audit is cut short
    decided = [e.is_secret for e in b.entries]
    console.print(
        f"{counted(decided.count(True), 'true positive')}, "
        f"{counted(decided.count(False), 'false positive')}, "
        + escape(printable(f"{decided.count(None)} undecided; saved {file}"))
    )
