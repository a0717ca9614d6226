"""Readers for shell histories: zsh (metafied), fish, PowerShell PSReadLine, bash and the like."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pgsweep.core.models import Chunk, HistoryProvenance, Skipped
from pgsweep.readers.chunking import (
    decode_text,
    epoch_to_iso,
    iter_grouped,
    iter_lines,
    skipped_if_binary,
    split_byte_lines,
)
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.psql_history import LIBEDIT_HEADER, iter_history_lines
from pgsweep.readers.sniff import looks_binary

# (timestamp, normalised text, original line); entries sharing a timestamp share a chunk.
Item = tuple[str | None, str, int]


@dataclass(frozen=True)
class _Origin:
    info: FileInfo
    shell: str

    def provenance(self, timestamp: str | None) -> HistoryProvenance:
        i = self.info
        return HistoryProvenance(path=i.path, shell=self.shell, timestamp=timestamp,
                                 member=i.member, **i.facts())


def _chunks(info: FileInfo, shell: str, items: Iterator[Item]) -> Iterator[Chunk]:
    return iter_grouped(items, _Origin(info, shell).provenance)


def _base(info: FileInfo) -> str:
    return info.name.replace("\\", "/").rsplit("/", 1)[-1]


def _path(info: FileInfo) -> str:
    return "/".join(p for p in (info.path, info.member or "") if p).replace("\\", "/")


class _HistoryReader:
    """What every history reader shares: a binary head is not its format (the plain-text
    reader decides), a binary file is a counted skip, and the entries `_entries` reads
    become chunks, one per timestamp."""

    name = ""
    label = ""  # the format, in a skip's reason

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return not looks_binary(head, allow_nul=True) and self._is_mine(info, head)

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, self.label, allow_nul=True)
        if skip:
            yield skip
            return
        yield from _chunks(info, self._shell(info), self._entries(data))

    def _is_mine(self, info: FileInfo, head: bytes) -> bool:
        raise NotImplementedError

    def _shell(self, info: FileInfo) -> str:
        raise NotImplementedError

    def _entries(self, data: bytes) -> Iterator[Item]:
        raise NotImplementedError


def _text(data: bytes) -> str:
    return decode_text(data.replace(b"\x00", b""))


# --------------------------------------------------------------------------- zsh
_ZSH_NAMES = frozenset({".zsh_history", "zsh_history", ".zhistory", ".histfile"})
_ZSH_EXT_RE = re.compile(r": (\d+):(\d+);")
_ZSH_HEAD_RE = re.compile(rb"\A: \d{1,12}:\d+;")


def unmetafy(raw: bytes) -> bytes:
    """zsh's history byte encoding undone: 0x83 is dropped and the next byte XORed with 0x20."""
    if b"\x83" not in raw:
        return raw
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        j = raw.find(b"\x83", i)
        if j < 0:
            out += raw[i:]
            break
        out += raw[i:j]
        if j + 1 < n:
            out.append(raw[j + 1] ^ 0x20)
        i = j + 2
    return bytes(out)


class ZshHistoryReader(_HistoryReader):
    """zsh `$HISTFILE`: plain or EXTENDED_HISTORY lines, `\\`-newline continuations."""

    name = "zsh-history"
    label = "zsh history"

    def _is_mine(self, info: FileInfo, head: bytes) -> bool:
        name = _base(info)
        if name in _ZSH_NAMES or name.startswith(".zsh_history"):
            return True
        if "/.zsh_sessions/" in _path(info) and (name.endswith((".history", ".historynew"))):
            return True
        return _ZSH_HEAD_RE.match(head) is not None

    def _shell(self, info: FileInfo) -> str:
        return "zsh"

    def _entries(self, data: bytes) -> Iterator[Item]:
        ts: str | None = None
        continued = False
        for n, raw in enumerate(split_byte_lines(data), 1):
            line = unmetafy(raw.replace(b"\x00", b"")).decode("utf-8", "surrogateescape")
            if not continued:
                m = _ZSH_EXT_RE.match(line)
                if m:
                    ts = epoch_to_iso(m.group(1))
                    line = line[m.end() :]
                else:
                    ts = None
            continued = line.endswith("\\")
            if continued:
                line = line[:-1]
            yield ts, line, n


# --------------------------------------------------------------------------- fish
_FISH_ESCAPE_RE = re.compile(r"\\(\\|n)")


def fish_unescape(value: str) -> str:
    """fish's `escape_yaml_fish_2_0` undone: `\\\\` → `\\`, `\\n` → newline; nothing else."""
    if "\\" not in value:
        return value
    return _FISH_ESCAPE_RE.sub(lambda m: "\\" if m.group(1) == "\\" else "\n", value)


class FishHistoryReader(_HistoryReader):
    """fish_history: `- cmd: …` entries with `  when: <epoch>` and optional `  paths:`."""

    name = "fish-history"
    label = "fish history"

    def _is_mine(self, info: FileInfo, head: bytes) -> bool:
        name = _base(info)
        if name == "fish_history" or (name.endswith("_history") and "/fish/" in _path(info)):
            return True
        return head.lstrip(b"\xef\xbb\xbf").startswith(b"- cmd: ")

    def _shell(self, info: FileInfo) -> str:
        return "fish"

    def _entries(self, data: bytes) -> Iterator[Item]:
        entry: tuple[str, int] | None = None
        ts: str | None = None
        for n, line in enumerate(iter_lines(_text(data)), 1):
            line = line.rstrip("\r")
            if line.startswith("- cmd:"):
                if entry is not None:
                    yield ts, entry[0], entry[1]
                entry, ts = (fish_unescape(line[6:].lstrip(" ")), n), None
            elif line.startswith("  when:") and entry is not None:
                ts = epoch_to_iso(line[7:].strip())
            elif line.startswith(("  paths:", "    - ")) or not line.strip():
                continue
            else:  # not fish's format: scan the line as it is
                yield None, line, n
        if entry is not None:
            yield ts, entry[0], entry[1]


# --------------------------------------------------------------------------- PowerShell
class PowerShellHistoryReader(_HistoryReader):
    """PSReadLine `ConsoleHost_history.txt` (and `<host>_history.txt`): backtick continuations."""

    name = "powershell-history"
    label = "PowerShell history"

    def _is_mine(self, info: FileInfo, head: bytes) -> bool:
        name = _base(info).lower()
        return name == "consolehost_history.txt" or (
            name.endswith("_history.txt") and "/psreadline/" in _path(info).lower()
        )

    def _shell(self, info: FileInfo) -> str:
        return "powershell"

    def _entries(self, data: bytes) -> Iterator[Item]:
        for n, line in enumerate(iter_lines(_text(data)), 1):
            line = line.rstrip("\r")
            line = line.removesuffix("`")
            yield None, line, n


# --------------------------------------------------------------------------- bash & others
_BASH_TS_DIGITS_RE = re.compile(r"(\d{1,12})\s*")  # after the "#"
_BASH_HEAD_RE = re.compile(rb"\A#\d{9,11}\r?\n[^#\n]")
_HISTORY_NAME_RE = re.compile(r"^\.?[\w.+-]*(?:_history|\.history)$|^\.histfile$")
_SH_SHELLS = {".bash_history": "bash", "bash_history": "bash", ".sh_history": "sh",
              ".ksh_history": "ksh", ".history": "sh", ".mksh_history": "mksh"}


def shell_of(name: str) -> str:
    """`.bash_history` → bash, `.python_history` → python, other names → sh."""
    if name in _SH_SHELLS:
        return _SH_SHELLS[name]
    if name.startswith((".bash_history", "bash_history")):
        return "bash"
    m = re.match(r"^\.?([A-Za-z][\w-]*?)_history$", name)
    return m.group(1).lower() if m else "sh"


class BashHistoryReader(_HistoryReader):
    """bash (`#<epoch>` lines, lithist multi-line entries) and any one-command-per-line history.

    Also takes history files of other line-based tools by name (`.python_history`,
    `.sqlite_history`…), decoding libedit's `_HiStOrY_V2_` form when present.
    """

    name = "bash-history"
    label = "shell history"

    def _is_mine(self, info: FileInfo, head: bytes) -> bool:
        name = _base(info)
        if name.startswith(".bash_history") or name in _SH_SHELLS:
            return True
        if _HISTORY_NAME_RE.match(name):
            return True
        return _BASH_HEAD_RE.match(head) is not None

    def _shell(self, info: FileInfo) -> str:
        return shell_of(_base(info))

    def _entries(self, data: bytes) -> Iterator[Item]:
        if data.startswith(LIBEDIT_HEADER):
            yield from ((None, t, n) for t, n in iter_history_lines(data))
            return
        ts: str | None = None
        for n, line in enumerate(iter_lines(_text(data)), 1):
            line = line.rstrip("\r")
            if line.startswith("#"):
                m = _BASH_TS_DIGITS_RE.fullmatch(line, 1)
                if m:
                    ts = epoch_to_iso(m.group(1))
                    continue
            yield ts, line, n

