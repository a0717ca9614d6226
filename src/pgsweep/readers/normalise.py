"""Shared tools of the format readers: shell words, line-mapped chunks, credentials handed
over from fields, provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pgsweep.core.models import (
    ChatProvenance,
    Chunk,
    CiLogProvenance,
    DesktopProvenance,
    FileProvenance,
    GitProvenance,
    HandedCredential,
    HistoryProvenance,
    ImageProvenance,
    MailProvenance,
    ParsedCredential,
    ProcessProvenance,
    Provenance,
    RuleId,
)
from pgsweep.detectors.filters import ignore_marker_in
from pgsweep.readers.interface import FileInfo


def shell_quote(value: str) -> str:
    """`value` as one single-quoted shell word, which the env signatures read back exactly."""
    return "'" + value.replace("'", "'\\''") + "'"


def file_provenance(
    info: FileInfo,
    reader: str,
    section: str | None = None,
    risk_flags: tuple[str, ...] | None = None,
) -> FileProvenance:
    return FileProvenance(path=info.path, reader=reader, member=info.member, section=section,
                          risk_flags=risk_flags, **info.facts())


def desktop_provenance(info: FileInfo, tool: str, connection: str | None) -> DesktopProvenance:
    return DesktopProvenance(path=info.path, tool=tool, connection=connection,
                             member=info.member, **info.facts())


@dataclass
class LineMappedText:
    """Normalised text built line by line, each line remembering its original line."""

    lines: list[str] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)

    def add(self, text: str, line: int) -> None:
        """Add `text` (one or more lines) as coming from original line `line`."""
        for part in text.split("\n"):
            self.lines.append(part)
            self.origin.append(line)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def keep_ignore_markers(self, original: Sequence[str]) -> LineMappedText:
        """This text with each line whose original line (`original[n - 1]`) holds an inline
        ignore marker ending in that marker, so a rewritten line is still ignored."""
        out = LineMappedText()
        for line, n in zip(self.lines, self.origin, strict=True):
            marker = ignore_marker_in(original[n - 1]) if 0 < n <= len(original) else None
            if marker is not None and marker not in line:
                line = f"{line}  # {marker}"
            out.lines.append(line)
            out.origin.append(n)
        return out

    def chunk(self, provenance: Provenance, decoded: bool = False) -> Chunk:
        data = "\n".join(self.lines).encode("utf-8", "surrogateescape") + b"\n"
        return Chunk(data=data, provenance=provenance, line_map=tuple(self.origin),
                     decoded=decoded)


def line_of(text: str, pos: int) -> int:
    """The 1-based line of offset `pos` in `text`."""
    return text.count("\n", 0, max(pos, 0)) + 1


def handed_chunk(provenance: Provenance, rule: str, line: int,
                 parsed: ParsedCredential) -> Chunk:
    """A chunk with no text to match that hands one credential read from fields over under
    `rule` (its form's handed signature), mapped to original line `line`."""
    return Chunk(data=b"\n", provenance=provenance, line_map=(line,), decoded=True,
                 handed=(HandedCredential(RuleId(rule), 1, parsed),))


def fields_credential(password: str, user: str | None, hosts: Sequence[str],
                      ports: Sequence[str], database: str | None) -> ParsedCredential:
    """A credential from a saved connection's fields (empty fields are absent; a port
    without a host names nothing)."""
    named = tuple(h for h in hosts if h)
    return ParsedCredential(
        password=password, user=user or None, hosts=named,
        ports=tuple(p for p in ports if p) if named else (), database=database or None)


def decode_text(data: bytes) -> str:
    """Bytes to str without losing any byte (invalid UTF-8 kept as surrogates); BOM dropped."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "surrogateescape")


def split_lines(text: str) -> list[str]:
    """Lines without their terminators; a trailing `\\r` is dropped as libpq does."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def reader_name(p: Provenance) -> str:
    """The name of the reader (or format) that produced a provenance, for a container's
    attribution of a file found inside it (a mail attachment, a file in an image layer)."""
    if isinstance(p, FileProvenance):
        return p.reader
    if isinstance(p, CiLogProvenance):
        return f"ci-log:{p.system}"
    if isinstance(p, HistoryProvenance):
        return f"{p.shell}-history"
    if isinstance(p, DesktopProvenance):
        return p.tool
    if isinstance(p, ChatProvenance | MailProvenance | ImageProvenance) and p.reader is not None:
        return p.reader
    return p.kind


def member_of(p: Provenance) -> str | None:
    """The place inside the file a provenance names (an archive member, a message), if any."""
    return None if isinstance(p, GitProvenance | ProcessProvenance) else p.member
