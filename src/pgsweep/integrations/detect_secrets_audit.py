"""`detect-secrets audit` with the plugins its baseline names (the pgsweep plugin among them).

detect-secrets 1.5 builds its table of plugins before it reads the baseline an `audit`
names, so a plugin loaded from a file (`--plugin`) is unknown to `audit`, `audit --report`
and `audit --stats` (they stop with a KeyError). This entry point reads the baseline's
settings first and then runs detect-secrets unchanged:

    python -m pgsweep.integrations.detect_secrets_audit audit .secrets.baseline
    python -m pgsweep.integrations.detect_secrets_audit audit --report .secrets.baseline
    python -m pgsweep.integrations.detect_secrets_audit audit --stats .secrets.baseline

Any other detect-secrets command line is passed through as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from detect_secrets.core import baseline
from detect_secrets.exceptions import InvalidBaselineError, UnableToReadBaselineError
from detect_secrets.main import main as detect_secrets_main
from detect_secrets.settings import configure_settings_from_baseline


def baseline_of(argv: Sequence[str]) -> str | None:
    """The first baseline an `audit` command line names, else None."""
    if not argv or argv[0] != "audit":
        return None
    names = [a for a in argv[1:] if not a.startswith("-")]
    return names[0] if names else None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = baseline_of(args)
    if name is not None:
        try:
            configure_settings_from_baseline(baseline.load_from_file(name), filename=name)
        except UnableToReadBaselineError:
            print(f"pgsweep: error: {name}: cannot read it as a detect-secrets baseline "
                  "(missing, unreadable or not JSON)", file=sys.stderr)
            return 2
        except (InvalidBaselineError, KeyError, TypeError, ValueError):
            pass  # detect-secrets reports a baseline it cannot use itself
    try:
        return detect_secrets_main(args)
    except EOFError:
        # interactive audit with answers piped in: the answers ran out before a `q`
        print("\npgsweep: the answers on stdin ran out before the last entry; nothing was "
              "saved (end the answers with q to save them)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
