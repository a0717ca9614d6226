"""The command line: parse arguments, call the core, map errors to exit codes."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

import typer

from pgsweep import __version__
from pgsweep.core.display import printable_lines
from pgsweep.core.errors import PgsweepError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
STORE_HELP = "Findings store: a file, or a postgresql:// URL a team shares (default: a file in " \
    "the user's data dir)."

app = typer.Typer(
    name="pgsweep",
    help="Find leaked PostgreSQL credentials and plan their rotation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pgsweep {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """pgsweep: leaked PostgreSQL credentials in git history, CI logs, histories and configs."""


def say(message: str, *, err: bool = False, nl: bool = True) -> None:
    """Print a message that may quote scanned text (paths, user names): control characters
    and undecodable bytes escaped, so nothing from the input reaches the terminal raw."""
    typer.echo(printable_lines(message), err=err, nl=nl)


def fail(message: str) -> typer.Exit:
    """Print one line on stderr and return the exit for a usage or input error."""
    say(f"pgsweep: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _register_commands() -> None:
    """Each module of this package registers its commands on `app` when imported."""
    import importlib
    import pkgutil

    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


_register_commands()


_interrupted = False


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C: stop the command where it is; a second one does not break the cleanup."""
    global _interrupted
    _interrupted = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: exit 2 with one line for any error, never a traceback;
    Ctrl-C: one line, exit 130."""
    for stream in (sys.stdout, sys.stderr):
        # The last guard of "never crash on odd bytes": reporters escape undecodable bytes
        # themselves, anything that slips through is written as an escape, not an error.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        app()  # click handles usage errors (exit 2) and typer.Exit itself
    except SystemExit:
        if not _interrupted:  # typer turns KeyboardInterrupt into a silent exit 130
            raise
    except KeyboardInterrupt:
        pass
    except PgsweepError as exc:
        if not _interrupted:
            say(f"pgsweep: error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
    except Exception as exc:
        if os.environ.get("PGSWEEP_DEBUG"):
            raise
        if not _interrupted:
            # The message may quote input text (and so a secret): only the type is shown.
            typer.echo(
                f"pgsweep: internal error ({type(exc).__name__}); "
                "set PGSWEEP_DEBUG=1 for details",
                err=True,
            )
            sys.exit(EXIT_ERROR)
    else:
        if not _interrupted:
            return
    typer.echo("pgsweep: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)
