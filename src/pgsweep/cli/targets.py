"""`pgsweep targets` and `pgsweep targets forget X`: what the findings store was scanned from."""

from __future__ import annotations

from typing import Annotated

import typer

from pgsweep.cli import STORE_HELP, app
from pgsweep.core.display import printable
from pgsweep.store import Store, TargetInfo

targets_app = typer.Typer(
    name="targets",
    help="List the targets (repositories, folders, files) the findings store holds, or forget one.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(targets_app)

def render_targets(targets: list[TargetInfo]) -> str:
    """One line per target: number, kind, what it holds, last scan, path."""
    if not targets:
        return "No targets in the store.\n"
    lines = [f"{'#':>3}  {'kind':<6} {'creds':>5} {'places':>6}  {'last scan':<25}  path"]
    for t in targets:
        lines.append(f"{t.id:>3}  {t.kind:<6} {t.credentials:>5} {t.occurrences:>6}  "
                     f"{t.last_scan or '-':<25}  {printable(t.path)}")
    return "\n".join(lines) + "\n"


@targets_app.callback()
def targets(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL", help=STORE_HELP)] = None,
) -> None:
    """List the targets scans were recorded for; `forget X` removes one."""
    if ctx.invoked_subcommand is not None:
        return
    with Store.open(store, create=False) as opened:
        typer.echo(render_targets(opened.targets()), nl=False)


@targets_app.command()
def forget(
    target: Annotated[str, typer.Argument(
        metavar="PATH|NUMBER", help="The target's number (as listed) or its path.")],
    store: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL", help=STORE_HELP)] = None,
) -> None:
    """Remove a target and what only it had seen; credentials also seen elsewhere stay."""
    with Store.open(store, create=False) as opened:
        done = opened.forget_target(opened.resolve_target(target).id)
    typer.echo(f"forgot target #{done.target.id} ({printable(done.target.path)}): "
               f"{done.credentials} credential(s) and {done.occurrences} place(s) removed")
