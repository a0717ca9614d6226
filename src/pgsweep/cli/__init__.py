"""The command line: parse arguments, call the core, map errors to exit codes."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType
from typing import Any

import typer
from typer.core import TyperGroup

from pgsweep import __version__
from pgsweep.cli.typed_secrets import mask_stderr
from pgsweep.core.display import printable_lines
from pgsweep.core.errors import PgsweepError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C
# click's error for a mistyped command line (an unknown option or command, a bad or missing
# value), whichever click typer runs on (it vendors its own from 0.20 on): a base of typer's
# public BadParameter.
UsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
STORE_HELP = "Findings store: a file, or a postgresql:// URL a team shares (default: a file in " \
    "the user's data dir)."

# The module of this package that defines each command, in the order `pgsweep --help` lists
# them. A command's module is imported when it runs, so each command pays for its own
# imports only; the help and a mistyped command import them all.
COMMAND_MODULES: dict[str, str] = {
    "audit": "audit", "demo": "demo", "report": "report", "explain": "report",
    "scan": "scan", "sweep": "sweep", "triage": "triage", "verify": "verify",
    "baseline": "baseline", "signatures": "signatures", "targets": "targets",
}


class CommandsOnDemand(TyperGroup):
    """The command group, loading a command's module when the command is first asked for."""

    # `ctx` and the commands are click's types, which typer vendors from 0.20 on: Any keeps
    # the overrides right for either.
    def list_commands(self, ctx: Any) -> list[str]:
        if any(name not in self.commands for name in COMMAND_MODULES):
            self._load(set(COMMAND_MODULES.values()))
        return [*COMMAND_MODULES, *(name for name in self.commands if name not in COMMAND_MODULES)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            module = COMMAND_MODULES.get(cmd_name)
            self._load({module} if module else set(COMMAND_MODULES.values()))
        return self.commands.get(cmd_name)

    def _load(self, modules: set[str]) -> None:
        """Import `modules` (each registers its commands on `app`) and take in their commands."""
        for module in sorted(modules):
            importlib.import_module(f"{__name__}.{module}")
        self.commands.update(typer.main.get_group(app).commands)


app = typer.Typer(
    name="pgsweep",
    cls=CommandsOnDemand,
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


def usage_error(exc: Exception) -> str:
    """A mistyped command line (a `UsageError`) as one line: what is wrong, and where the
    help is."""
    message = " ".join(str(getattr(exc, "format_message", exc.__str__)()).split())
    message = message.replace("Value error, ", "").rstrip(".")
    ctx = getattr(exc, "ctx", None)
    where = f"; see '{ctx.command_path} --help'" if ctx is not None else ""
    return f"pgsweep: error: {message}{where}"


def fail(message: str) -> typer.Exit:
    """Print one line on stderr and return the exit for a usage or input error."""
    say(f"pgsweep: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


_interrupted = False


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C: stop the command where it is; a second one does not break the cleanup."""
    global _interrupted
    _interrupted = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _tell(exc: Exception) -> None:
    """What a command that failed with `exc` prints: the help for a command given nothing
    to do, else one line on stderr."""
    if isinstance(exc, UsageError):
        if type(exc).__name__ == "NoArgsIsHelpError":  # `pgsweep`, `pgsweep baseline`
            typer.echo(str(getattr(exc, "format_message", str)()), nl=False)  # the help
        else:
            say(usage_error(exc), err=True)
    elif isinstance(exc, typer.Abort):  # end of input at a prompt
        typer.echo("pgsweep: aborted", err=True)
    elif isinstance(exc, PgsweepError):
        say(f"pgsweep: error: {exc}", err=True)
    else:
        # The message may quote input text (and so a secret): only the type is shown.
        typer.echo(f"pgsweep: internal error ({type(exc).__name__}); "
                   "set PGSWEEP_DEBUG=1 for details", err=True)


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
    mask_stderr(sys.argv[1:])  # a password typed as an argument stays out of messages
    try:
        # not standalone: a usage error comes here, to be told in one line (click's own
        # report is a usage synopsis and a framed box); typer.Exit and --help return a code
        code = app(prog_name="pgsweep", standalone_mode=False)
    except SystemExit:
        if not _interrupted:  # typer turns KeyboardInterrupt into a silent exit 130
            raise
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        known = isinstance(exc, (UsageError, typer.Abort, PgsweepError))
        if os.environ.get("PGSWEEP_DEBUG") and not known:
            raise
        if not _interrupted:
            _tell(exc)
            sys.exit(EXIT_ERROR)
    else:
        if not _interrupted:
            sys.exit(code if isinstance(code, int) else EXIT_CLEAN)
    typer.echo("pgsweep: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)
