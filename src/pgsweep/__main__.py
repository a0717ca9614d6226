"""Run the CLI as `python -m pgsweep`."""

from pgsweep.cli import main

main()
