"""`pgsweep demo DIR`: build a demo repository with planted leaks."""

from __future__ import annotations

from pathlib import Path

import typer

from pgsweep.cli import app


@app.command()
def demo(
    directory: Path = typer.Argument(
        ..., metavar="DIR", help="Where to create the demo repository."),
) -> None:
    """Create a git repository with leaks over several commits, branches and a tag."""
    from pgsweep.jobs.demo import build_demo, describe

    planted = build_demo(directory)
    typer.echo(f"demo repository created at {directory} with {len(planted)} planted leaks:")
    for line in describe(planted):
        typer.echo(f"  {line}")
    typer.echo(f"scan it with: pgsweep scan {directory}")
