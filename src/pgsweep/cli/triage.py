"""`pgsweep triage ID --status …`: record a decision about a credential in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pgsweep.cli import app, fail
from pgsweep.store import TRIAGE_STATUSES, Store


@app.command()
def triage(
    credential: Annotated[str, typer.Argument(help="Credential id (or a unique prefix of it).")],
    status: Annotated[str | None, typer.Option(
        "--status", help=f"One of: {', '.join(TRIAGE_STATUSES)}. Omit to show the state.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", help="Why (never paste the secret).")] = None,
    store_path: Annotated[Path | None, typer.Option(
        "--store", help="Findings store to use.")] = None,
) -> None:
    """Mark a credential false-positive, rotated or accepted (or open again); scans keep it."""
    if status is not None and status not in TRIAGE_STATUSES:
        raise fail(f"unknown status {status!r} (choose from {', '.join(TRIAGE_STATUSES)})")
    with Store.open(store_path, create=False) as store:
        cid = store.resolve_credential_id(credential)
        if status is not None:
            store.triage(cid, status, note)
        state = store.triage_states()[cid]
    line = f"{cid}: {state.status} (since {state.updated_at})"
    typer.echo(f"{line}: {state.note}" if state.note else line)
