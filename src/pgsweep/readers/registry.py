"""The ordered list of readers and the choice of one reader per file."""

from __future__ import annotations

import os

from pgsweep.readers.container_image import CONTAINER_IMAGE
from pgsweep.readers.dbeaver import DBeaverCredentialsReader, DBeaverDataSourcesReader
from pgsweep.readers.dotenv import DotenvReader
from pgsweep.readers.interface import FileInfo, Reader, StreamReader, TreeReader
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS
from pgsweep.readers.mail import MAIL_READER
from pgsweep.readers.notebooks import NotebookReader
from pgsweep.readers.pg_service import PgServiceReader
from pgsweep.readers.pgadmin import PgAdminReader
from pgsweep.readers.pgpass_file import PgpassReader
from pgsweep.readers.postgresql_conf import PostgresqlConfReader
from pgsweep.readers.psqlrc import PsqlrcReader
from pgsweep.readers.slack import SLACK_EXPORT
from pgsweep.readers.sqltools import SqlToolsReader
from pgsweep.readers.text import TEXT_READER
from pgsweep.readers.yaml_configs import YAML_READER

# Saved connections of desktop database tools.
DESKTOP_READERS: tuple[Reader, ...] = (
    DBeaverCredentialsReader(),
    DBeaverDataSourcesReader(),
    PgAdminReader(),
    SqlToolsReader(),
)

# Client and server config files; the password file also by the name `PGPASSFILE` gives.
CONFIG_READERS: tuple[Reader, ...] = (
    PgpassReader(os.environ.get("PGPASSFILE")),
    PgServiceReader(),
    PsqlrcReader(),
    DotenvReader(),
    PostgresqlConfReader(),
    NotebookReader(),
)

# First match wins: mail (recognised by its headers), the log and history readers, the config
# and desktop readers, then plain text for everything else.
READERS: tuple[Reader, ...] = (
    MAIL_READER,
    *LOG_AND_HISTORY_READERS,
    *DESKTOP_READERS,
    *CONFIG_READERS,
    YAML_READER,
    TEXT_READER,
)

BY_NAME: dict[str, Reader] = {r.name: r for r in READERS}


def select_reader(info: FileInfo, head: bytes) -> Reader:
    """The first reader that claims the file by name and content (plain text at worst)."""
    for reader in READERS:
        try:
            if reader.matches(info, head):
                return reader
        except Exception:  # noqa: BLE001 - a reader's sniffing must never stop the scan
            continue
    return TEXT_READER


# Layouts of many files read as one input (a chat export, a container image), tried on every
# zip, tar and folder before its files are read one by one.
TREE_READERS: tuple[TreeReader, ...] = (SLACK_EXPORT, CONTAINER_IMAGE)


def select_tree_reader(names: frozenset[str]) -> TreeReader | None:
    """The layout reader whose layout these file names have, if any."""
    for reader in TREE_READERS:
        if reader.claims(names):
            return reader
    return None


# Readers that also take a file above the size limit as a stream.
STREAM_READERS: tuple[StreamReader, ...] = (MAIL_READER,)


def select_stream_reader(info: FileInfo, head: bytes) -> StreamReader | None:
    for reader in STREAM_READERS:
        if reader.matches(info, head):
            return reader
    return None
