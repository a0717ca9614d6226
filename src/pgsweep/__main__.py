"""Start the command line: `python -m pgsweep` and the `pgsweep` command."""

from __future__ import annotations

import sys


def main() -> None:
    """`pgsweep --version` answers before the command line's libraries load (typer, rich
    and every command's modules: ~0.25 s of CPU); anything else runs the CLI."""
    if sys.argv[1:] == ["--version"]:
        from pgsweep import __version__

        sys.stdout.write(f"pgsweep {__version__}\n")
        return
    # Imported here, not at the top: the start-up cost above is the reason.
    from pgsweep.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
