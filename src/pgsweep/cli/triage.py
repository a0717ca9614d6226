"""`pgsweep triage ID --status …`: record a decision about a credential in the store."""

from __future__ import annotations

from typing import Annotated

import typer

from pgsweep.cli import app, fail, say
from pgsweep.store import TRIAGE_STATUSES, Store


@app.command()
def triage(
    credential: Annotated[str, typer.Argument(
        metavar="ID", help="Credential id, a finding id, or a unique prefix of either.")],
    status: Annotated[str | None, typer.Option(
        "--status", help=f"One of: {', '.join(TRIAGE_STATUSES)}. Omit to show the state.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", help="Why (never paste the secret).")] = None,
    store_path: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL",
        help="Findings store to use: a file or a postgresql:// URL.")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="Look the id up among this target's credentials only.")] = None,
) -> None:
    """Mark a credential false-positive, rotated or accepted (or open again); scans keep it.

    `--note` alone changes the note and keeps the status.
    """
    if status is not None and status not in TRIAGE_STATUSES:
        raise fail(f"unknown status {status!r} (choose from {', '.join(TRIAGE_STATUSES)})")
    with Store.open(store_path, create=False) as store:
        tid = store.resolve_target(target).id if target is not None else None
        cid = store.resolve_credential_id(credential, target=tid)
        if status is not None or note is not None:
            store.triage(cid, status, note)
        state = store.triage_states()[cid]
    line = f"{cid}: {state.status} (since {state.updated_at})"
    say(f"{line}: {state.note}" if state.note else line)
