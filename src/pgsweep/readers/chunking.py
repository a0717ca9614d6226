"""Shared by the log and history readers: text decoding, terminal rendering, chunk grouping."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import TypeVar

from pgsweep.core.models import Chunk, Provenance, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.sniff import looks_binary

K = TypeVar("K", bound=Hashable)

# One normalised line of text and the 1-based line of the original file it came from.
Line = tuple[str, int]

_ISO_SECONDS_RE = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")
_ZONE_RE = re.compile(r"(?:[.,]\d+)?(Z|z|[+-]\d\d:?\d\d|)")

# Escape sequences that occupy no column on a terminal (everything but erase-in-line).
_JENKINS_NOTE_RE = re.compile(r"\x1b\[8mha:[^\x1b]*\x1b\[0m")
_ZERO_WIDTH_RE = re.compile(
    r"""\x1b\[[0-?]*[ -/]*[@-JL-~]        # CSI except K (colours, cursor moves)
      | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC (titles, hyperlinks)
      | \x1b_[^\x07\x1b]*(?:\x07|\x1b\\)?   # APC (Buildkite timestamps)
      | \x1b[()][0-9A-Za-z]                 # charset selection
      | \x1b[=>78DEHMc]                     # keypad modes, save/restore cursor""",
    re.VERBOSE,
)
_ERASE_RE = re.compile(r"\x1b\[([0-2]?)K")


def where(info: FileInfo) -> str:
    """The place a Skipped record names: the file, and the archive member when there is one."""
    return f"{info.path}!{info.member}" if info.member else info.path


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM dropped) or BOM-marked UTF-16; undecodable bytes kept as surrogates."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "surrogateescape")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "surrogateescape")


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def split_lines(text: str) -> list[str]:
    """Lines without their `\\n`; a final newline does not start another line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def iter_lines(text: str) -> Iterator[str]:
    """Like split_lines, lazily (a 50 MB log is not copied into a list of lines)."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def split_byte_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def epoch_to_iso(value: str | float) -> str | None:
    """Unix seconds (or milliseconds) to `YYYY-MM-DDTHH:MM:SS+00:00`; None when out of range."""
    try:
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        return datetime.fromtimestamp(int(seconds), tz=UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return None


def iso_to_seconds(text: str) -> str | None:
    """An ISO timestamp (`…T14:30:00.1234567Z`, `…+02:00`) in UTC, cut to seconds.

    No zone means UTC. The result looks like `2024-05-30T14:30:00+00:00`.
    """
    m = _ISO_SECONDS_RE.match(text)
    if not m:
        return None
    rest = text[m.end() :]
    zone = _ZONE_RE.match(rest)
    if zone is None or zone.group(1) in ("", "Z", "z"):
        return f"{m.group(1)}T{m.group(2)}+00:00"
    try:
        stamp = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{zone.group(1)}")
    except ValueError:
        return None
    return stamp.astimezone(UTC).isoformat(timespec="seconds")


def render_terminal(line: str) -> list[str]:
    """What a terminal showed for `line`, then every `\\r`-overwritten segment that differs.

    Colour and other zero-width escapes are dropped; `\\r` returns the cursor to column 0
    and `ESC[K` erases to the end of the line, as a terminal does (one column per code
    point). Overwritten text is kept because a secret printed and then overwritten by a
    progress bar is still in the log.
    """
    if "\x1b" not in line and "\r" not in line:
        return [line]
    if "\x1b" in line:
        line = _ZERO_WIDTH_RE.sub("", _JENKINS_NOTE_RE.sub("", line))
    if "\r" not in line and "\x1b" not in line:
        return [line]
    screen: list[str] = []
    segments: list[str] = []
    for segment in line.split("\r"):
        cursor = 0
        written: list[str] = []
        parts = _ERASE_RE.split(segment)
        for i, part in enumerate(parts):
            if i % 2 == 0:
                if part:
                    screen[cursor : cursor + len(part)] = part
                    cursor += len(part)
                    written.append(part)
            elif part == "1":
                screen[:cursor] = " " * min(cursor, len(screen))
            else:
                del screen[cursor:]
                if part == "2":
                    screen[:] = " " * cursor
        if written:
            segments.append("".join(written))
    visible = "".join(screen)
    out = [visible]
    seen = {visible}
    for text in segments:
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def iter_grouped(
    items: Iterable[tuple[K, str, int]], provenance: Callable[[K], Provenance]
) -> Iterator[Chunk]:
    """One chunk per run of consecutive lines with the same key (job/step/timestamp…).

    `items` yields (key, normalised line, original 1-based line). A normalised line that
    still holds newlines becomes several lines mapped to the same original line.
    """
    for key, run in groupby(items, key=lambda item: item[0]):
        texts: list[str] = []
        origins: list[int] = []
        for _, text, orig in run:
            parts = text.split("\n")
            texts.extend(parts)
            origins.extend([orig] * len(parts))
        # Runs of blank lines (an `##[endgroup]` alone in its second) make no chunk.
        if any(texts):
            yield _chunk(texts, origins, provenance(key))


def _chunk(texts: list[str], origins: list[int], provenance: Provenance) -> Chunk:
    data = encode_text("\n".join(texts))
    identity = origins[0] == 1 and origins[-1] == len(origins) and _is_identity(origins)
    return Chunk(data=data, provenance=provenance, line_map=None if identity else tuple(origins))


def _is_identity(origins: list[int]) -> bool:
    return all(o == i for i, o in enumerate(origins, 1))


def skipped_if_binary(
    info: FileInfo, data: bytes, fmt: str, allow_nul: bool = False
) -> Skipped | None:
    if looks_binary(data, allow_nul=allow_nul):
        return Skipped(where(info), f"binary content, not a {fmt}")
    return None
