"""The options several commands take, as typed aliases, and what they turn into."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pgsweep.cli import fail, say
from pgsweep.core.models import Severity
from pgsweep.jobs.scan import open_scan_store
from pgsweep.reporters.interface import Format, format_named_by
from pgsweep.store import Store

# The output options every reporting command (scan, sweep, audit) takes.
FORMAT_HELP = ("Output format (default: what the --output file's extension names: .json, "
               ".jsonl, .csv, .sarif, .md, .html; else {default}).")
FormatOpt = Annotated[Format | None, typer.Option(
    "--format", "-f", help=FORMAT_HELP.format(default="terminal"))]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show plaintext secrets in the output.")]
ShowInfoOpt = Annotated[bool, typer.Option(
    "--show-info", help="Terminal: list info-level credentials (placeholder-like or weak values) "
    "instead of one count line.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Terminal: print the summary line only.")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Terminal: list every place of each credential.")]
NoColorOpt = Annotated[bool, typer.Option(
    "--no-color", help="Terminal: no colours (NO_COLOR does the same).")]

# What scan, sweep and audit read and record.
FAIL_ON_HELP = "Exit 1 at or above this severity: info, low, medium, high or critical"
FailOnOpt = Annotated[str, typer.Option(
    "--fail-on", metavar="SEVERITY", help=f"{FAIL_ON_HELP}.")]
MaxBlobSizeOpt = Annotated[int, typer.Option(
    "--max-blob-size", metavar="BYTES", min=1,
    help="Skip larger blobs and files, each a counted warning.")]
SignaturesOpt = Annotated[list[Path], typer.Option(
    "--signatures", metavar="FOLDER", help="Load extra signature files from FOLDER (repeatable).")]
ProgressOpt = Annotated[bool | None, typer.Option(
    "--progress/--no-progress",
    help="Progress on stderr: blobs, bytes, rate (default: when stderr is a terminal).")]
NoStoreSecretsOpt = Annotated[bool, typer.Option(
    "--no-store-secrets", help="Store keyed hashes only, not encrypted secrets.")]
AllowIncompleteOpt = Annotated[bool, typer.Option(
    "--allow-incomplete", help="Exit 0, not 2, when no finding fails the scan but "
    "part of the input could not be read (a broken ref, a corrupt object).")]
CacheDirOpt = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Where mirrors of remote repositories are kept (default: "
    "$PGSWEEP_CACHE_DIR, else the user cache dir).")]
DEFAULT_STORE_HELP = ("Findings store to record into: a file or a postgresql:// URL "
                      "(default: a file in the user data dir).")


def chosen_format(fmt: Format | None, output: Path | None) -> Format:
    """--format, else the format the output file's extension names, else the terminal."""
    named = format_named_by(output)
    return fmt if fmt is not None else Format(named) if named else Format.TERMINAL


def threshold_of(fail_on: str | None, default: Severity = Severity.LOW) -> Severity:
    """The `--fail-on` severity (`default` when not given); a bad name is a one-line error."""
    try:
        return Severity.parse(fail_on) if fail_on else default
    except ValueError as exc:
        raise fail(str(exc)) from None


def check_reveal(reveal: bool, *, no_store: bool, no_store_secrets: bool) -> None:
    """`--reveal` with `--no-store-secrets` (and a store) has no plaintext to show."""
    if reveal and no_store_secrets and not no_store:
        raise fail("--reveal needs the secrets: drop --no-store-secrets")


def shows_progress(progress: bool | None) -> bool:
    """`--progress/--no-progress`, else a progress line when standard error is a terminal."""
    return sys.stderr.isatty() if progress is None else progress


def open_store(store_path: str | None, *, no_store: bool, no_store_secrets: bool) -> Store | None:
    """The store `--store`, `--no-store` and `--no-store-secrets` ask for; its warning (a
    default store that cannot be opened) goes to standard error."""
    store, warning = open_scan_store(
        store_path, enabled=not no_store, store_secrets=not no_store_secrets)
    if warning:
        say(f"pgsweep: warning: {warning}", err=True)
    return store
