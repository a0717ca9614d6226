"""`pgsweep verify`: do leaked credentials still work? Offline against verifiers, or live."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pgsweep.cli import EXIT_CLEAN, EXIT_FINDINGS, app, fail
from pgsweep.jobs.scan import configured_scan
from pgsweep.reporters.outfiles import open_output, prepare_output
from pgsweep.verify.interface import Verifier, VerifyError
from pgsweep.verify.report import VerifyFormat, render
from pgsweep.verify.run import (
    default_store_exists,
    findings_from_store,
    record_results,
    verify_findings,
)


@app.command()
def verify(
    verifiers: Annotated[Path | None, typer.Option(
        "--verifiers",
        help="pg_dumpall --roles-only output, or a rolname,rolpassword dump.")] = None,
    verifiers_host: Annotated[list[str] | None, typer.Option(
        "--verifiers-host", metavar="HOST[:PORT]",
        help="The server the --verifiers file was exported from (repeat for its other "
             "names). Without it a mismatch is only 'unconfirmed', never 'rotated'.")] = None,
    store: Annotated[str | None, typer.Option(
        "--store", metavar="PATH|URL",
        help="Findings store to read and update: a file or a postgresql:// URL.",
    )] = None,
    scan_path: Annotated[str | None, typer.Option(
        "--scan", metavar="PATH", help="Scan PATH now and verify its findings.")] = None,
    fmt: Annotated[VerifyFormat, typer.Option(
        "--format", "-f", help="Output format.")] = VerifyFormat.TERMINAL,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the results here.")] = None,
    verify_live: Annotated[bool, typer.Option(
        "--verify-live",
        help="Also try to log in with each credential (no query is run).")] = False,
    allow_internal: Annotated[bool, typer.Option(
        "--allow-internal",
        help="Let --verify-live contact loopback/private/socket hosts.")] = False,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="With --scan: record the results nowhere.")] = False,
    target: Annotated[str | None, typer.Option(
        "--target",
        help="Only the credentials of this target (a path or number from `pgsweep targets`).",
    )] = None,
) -> None:
    """Tell whether each leaked credential still works. Exit 1 if any does.

    Findings come from the store, or with --scan PATH from a fresh scan, as `pgsweep scan`
    would make it with PATH's pgsweep.toml and baselines (needed when the store keeps hashes
    only); results are recorded in the store for credentials it holds
    (a skipped check records nothing).
    """
    if verifiers is None and not verify_live:
        raise fail("nothing to do: pass --verifiers FILE and/or --verify-live")
    if verifiers_host and verifiers is None:
        raise fail("--verifiers-host names the server of a --verifiers FILE; pass the file too")
    if target is not None and scan_path is not None:
        raise fail("--target picks credentials from the store; --scan PATH scans PATH only")
    prepare_output(output)
    chosen: list[Verifier] = []
    if verifiers is not None:
        from pgsweep.verify.offline import OfflineVerifier, Server

        server = Server.parse(verifiers_host) if verifiers_host else None
        chosen.append(OfflineVerifier.from_file(verifiers, server))
        if server is None:
            typer.echo("pgsweep: note: the verifier file is not bound to a server "
                       "(--verifiers-host HOST[:PORT]): a mismatch is reported as "
                       "'unconfirmed', never 'rotated'", err=True)
    if verify_live:
        from pgsweep.verify.live import LiveVerifier

        chosen.append(LiveVerifier(allow_internal=allow_internal))
    findings = (list(configured_scan(scan_path).findings) if scan_path
                else findings_from_store(store, target))
    results = verify_findings(findings, chosen)
    if scan_path is None or (not no_store and (store is not None or default_store_exists())):
        record_results(store, results)
    try:
        if output is None:
            render(results, fmt, sys.stdout)
        else:
            with open_output(output, private=False) as fh:
                render(results, fmt, fh)
    except OSError as exc:
        raise VerifyError(f"{output}: cannot write: {exc.strerror or exc}") from None
    raise typer.Exit(EXIT_FINDINGS if any(r.status.is_usable for r in results) else EXIT_CLEAN)
