"""`pgsweep signatures list|test|check`: inspect and validate detector data files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from pgsweep.cli import app, fail
from pgsweep.detectors import signatures as signatures_mod
from pgsweep.detectors.signatures import SignatureError

sig_app = typer.Typer(help="List and test the detector signatures.", no_args_is_help=True)
app.add_typer(sig_app, name="signatures")


@sig_app.command("list")
def list_signatures() -> None:
    """One line per signature: id, severity, kind, name."""
    table = Table()
    for col in ("id", "severity", "kind", "name", "examples"):
        table.add_column(col)
    for s in signatures_mod.load():
        table.add_row(s.id, str(s.severity), str(s.kind), s.name,
                      f"{len(s.examples)}+/{len(s.negative_examples)}-")
    Console(width=140).print(table)


def _check(dirs: list[Path]) -> None:
    from pgsweep.jobs.selftest import run_examples

    try:
        sigs = signatures_mod.load(dirs)
    except SignatureError as exc:
        raise fail(str(exc)) from None
    failures = 0
    total = 0
    for result in run_examples(sigs):
        total += 1
        if not result.ok:
            failures += 1
            typer.echo(f"FAIL {result.name}: {result.message}")
    typer.echo(f"{total - failures} passed, {failures} failed")
    raise typer.Exit(1 if failures else 0)


@sig_app.command("test")
def test_signatures() -> None:
    """Run every signature's embedded positive and negative examples."""
    _check([])


@sig_app.command("check")
def check_signatures(
    path: Path | None = typer.Argument(
        None, metavar="FOLDER", help="A folder of signatures (default: the shipped ones)."),
) -> None:
    """Validate signature files (yours too) and run their examples."""
    if path is not None and path.is_dir() and not any(path.glob("*.y*ml")):
        # else only the shipped ones would be checked, and "passed" would mislead
        raise fail(f"{path}: no signature files (*.yml, *.yaml) in this folder")
    _check([path] if path else [])
