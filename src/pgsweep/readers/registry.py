"""The ordered list of readers and the choice of one reader per file."""

from __future__ import annotations

from pgsweep.readers.config_files import CONFIG_READERS
from pgsweep.readers.desktop import DESKTOP_READERS
from pgsweep.readers.interface import FileInfo, Reader
from pgsweep.readers.text import TEXT_READER
from pgsweep.readers.yaml_configs import YAML_READER

try:  # CI logs and shell/psql histories (a separate module; absent until it is merged)
    from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS
except ImportError:  # pragma: no cover - depends on what is installed
    LOG_AND_HISTORY_READERS = ()

# First match wins: the log and history readers, the config and desktop readers, then plain
# text for everything else.
READERS: tuple[Reader, ...] = (
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
        except Exception:  # a reader's sniffing must never stop the scan
            continue
    return TEXT_READER
