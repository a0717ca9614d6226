"""`pgsweep sweep`: every user's credential locations on a machine or a mounted image."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from pgsweep.cli import _options as opt
from pgsweep.cli import app, fail, say
from pgsweep.cli._reporting import display_options, run_and_report
from pgsweep.cli.progress import Stages
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE, ScanOptions
from pgsweep.reporters.outfiles import prepare_output
from pgsweep.sources.files import is_within
from pgsweep.sources.homes import Home
from pgsweep.sources.processes import ProcessSource
from pgsweep.sources.sweep import SweepSource
from pgsweep.store import KEY_ENV, default_key_path, is_url


@app.command()
def sweep(
    root: Path = typer.Option(Path("/"), "--root", help="The machine's root, or a mounted image."),
    repos: bool = typer.Option(False, "--repos", help="Also scan the history of git repositories "
                               "found under the homes."),
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    reveal: opt.RevealOpt = False,
    show_info: opt.ShowInfoOpt = False,
    quiet: opt.QuietOpt = False,
    verbose: opt.VerboseOpt = False,
    no_color: opt.NoColorOpt = False,
    fail_on: opt.FailOnOpt = "low",
    max_blob_size: opt.MaxBlobSizeOpt = DEFAULT_MAX_BLOB_SIZE,
    extra_signatures: opt.SignaturesOpt = [],  # noqa: B006 (typer copies it)
    progress: opt.ProgressOpt = None,
    allow_incomplete: opt.AllowIncompleteOpt = False,
    store_path: str | None = typer.Option(
        None, "--store", metavar="PATH|URL",
        help="Record the findings into this store, a file or a postgresql:// "
        "URL (default: record nothing; a sweep writes nothing unless asked)."
    ),
    no_store_secrets: opt.NoStoreSecretsOpt = False,
    processes: bool = typer.Option(
        False, "--processes", help="Also read every running process's environment and command "
        "line (/proc of this machine; read-only)."
    ),
    homes: bool = typer.Option(
        True, "--homes/--no-homes", help="Read the homes and system files (--no-homes with "
        "--processes reads only the processes)."
    ),
) -> None:
    """Sweep every user's shell/psql histories, client configs and desktop tools under ROOT."""
    threshold = opt.threshold_of(fail_on)
    if root.exists() and not root.is_dir():  # a disk image file, most likely
        raise fail(f"{root}: a file, not a folder: mount a disk image read-only "
                   "(mount -o ro,loop,noexec IMAGE /mnt/evidence) and sweep --root /mnt/evidence")
    if not root.is_dir():
        raise fail(f"{root}: no such folder")
    if not homes and not processes:
        raise fail("--no-homes leaves nothing to sweep: add --processes")
    if processes and not Path("/proc/self/environ").exists():
        raise fail("--processes needs a Linux /proc")
    writes = [output, None if store_path is None or is_url(store_path) else Path(store_path)]
    if store_path is not None and not os.environ.get(KEY_ENV):
        writes.append(default_key_path())  # created with the store when missing
    for target in writes:
        # The target itself is resolved: a symlink (even a dangling one) into the root
        # would make the write land there.
        if target is not None and os.path.realpath(root) != "/" and is_within(root, target):
            raise fail(f"{target}: refusing to write inside the swept root (it is read-only)")
    prepare_output(output)
    opts = ScanOptions(
        path=str(root),
        max_blob_size=max_blob_size,
        extra_signatures=tuple(extra_signatures),
        fail_on=threshold,
        progress=opt.shows_progress(progress),
    )

    stages = Stages(0, "home")  # the home being swept, in the progress line (then cleared)

    def on_home(home: Home) -> None:
        stages.begin(f"{home.user} ({home.path})")

    source = SweepSource(root, opts, repos=repos, on_home=on_home,
                         processes=ProcessSource() if processes else None, homes=homes)
    stages.total = len(source.homes)
    if homes:
        n = len(source.homes)
        say(f"pgsweep: sweeping {n} home{'' if n == 1 else 's'} under {root}: "
            + (", ".join(h.user for h in source.homes) or "none"), err=True)
    if processes:
        typer.echo("pgsweep: sweeping the environment and command line of every running "
                   "process", err=True)
    store = opt.open_store(
        store_path, no_store=store_path is None, no_store_secrets=no_store_secrets)
    raise run_and_report(
        opts, store, fmt=opt.chosen_format(fmt, output), output=output, reveal=reveal,
        threshold=threshold,
        allow_incomplete=allow_incomplete,
        display=display_options(show_info, quiet, verbose, no_color),
        open_source=lambda _: source, users=source.summaries, status=stages.status,
    )
