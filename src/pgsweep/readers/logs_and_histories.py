"""The CI log and history readers, in the order a registry should try them (most specific first)."""

from __future__ import annotations

from pgsweep.readers.ci_logs import (
    CircleCiReader,
    GitHubActionsReader,
    GitLabTraceReader,
    JenkinsReader,
    PlainLogReader,
)
from pgsweep.readers.interface import Reader
from pgsweep.readers.psql_history import PsqlHistoryReader
from pgsweep.readers.shell_history import (
    BashHistoryReader,
    FishHistoryReader,
    PowerShellHistoryReader,
    ZshHistoryReader,
)

# Histories are recognised by name first (their content is free text; the bash reader's one
# content rule, a leading `#<epoch>` line, never starts a CI log), then the CI formats by their
# content markers; plain `.log` files come last.
LOG_AND_HISTORY_READERS: tuple[Reader, ...] = (
    PsqlHistoryReader(),
    ZshHistoryReader(),
    FishHistoryReader(),
    PowerShellHistoryReader(),
    BashHistoryReader(),
    CircleCiReader(),
    GitHubActionsReader(),
    GitLabTraceReader(),
    JenkinsReader(),
    PlainLogReader(),
)


def reader_for(name: str) -> Reader:
    """The reader with this `name` (e.g. "zsh-history"); KeyError when there is none."""
    for reader in LOG_AND_HISTORY_READERS:
        if reader.name == name:
            return reader
    raise KeyError(name)
