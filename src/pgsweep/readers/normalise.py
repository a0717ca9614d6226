"""Shared tools of the format readers: canonical URIs and shell words, line-mapped chunks,
provenance."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pgsweep.core.models import (
    Chunk,
    CiLogProvenance,
    DesktopProvenance,
    FileProvenance,
    HistoryProvenance,
    Provenance,
)
from pgsweep.detectors.filters import ignore_marker_in
from pgsweep.readers.interface import FileInfo

# Characters left as they are in URI parts; everything else is percent-encoded, so that the
# URI signature's libpq parser decodes every part back to exactly the original value.
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
_SAFE_HOST = _SAFE | frozenset(b".")
_PORT_RE = re.compile(r"^[0-9]*$")


def percent_encode(value: str, safe: frozenset[int] = _SAFE) -> str:
    """Percent-encode every byte outside `safe` (UTF-8; lone surrogates kept as raw bytes)."""
    raw = value.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in raw)


def _host_part(host: str) -> str:
    if ":" in host and not host.startswith("/"):  # IPv6 literal (zone id percent-encoded)
        return "[" + host.replace("%", "%25") + "]"
    encoded = percent_encode(host, _SAFE_HOST)
    # A trailing dot would be trimmed as punctuation by the URI scanner.
    return encoded[:-1] + "%2E" if encoded.endswith(".") else encoded


def make_uri(
    password: str,
    user: str | None = None,
    hosts: Sequence[str] = (),
    ports: Sequence[str] = (),
    database: str | None = None,
    params: Iterable[tuple[str, str]] = (),
) -> str:
    """A `postgresql://` URI that libpq (and pg.uri.1) parses back to exactly these parts."""
    query: list[tuple[str, str]] = list(params)
    hosts, ports = list(hosts), list(ports)
    authority = ""
    if hosts and all(_PORT_RE.match(p) for p in ports) and len(ports) <= len(hosts):
        parts = []
        for i, h in enumerate(hosts):
            port = ports[i] if i < len(ports) else ""
            parts.append(_host_part(h) + (f":{port}" if port else ""))
        authority = ",".join(parts)
    else:
        if hosts:
            query.append(("host", ",".join(hosts)))
        if ports:
            query.append(("port", ",".join(ports)))
    userinfo = percent_encode(user or "") + ":" + percent_encode(password)
    uri = f"postgresql://{userinfo}@{authority}"
    if database:
        uri += "/" + percent_encode(database)
    if query:
        if not database:
            uri += "/"
        uri += "?" + "&".join(f"{k}={percent_encode(v)}" for k, v in query)
    return uri


def shell_quote(value: str) -> str:
    """`value` as one single-quoted shell word, which the env signatures read back exactly."""
    return "'" + value.replace("'", "'\\''") + "'"


def file_provenance(
    info: FileInfo,
    reader: str,
    section: str | None = None,
    risk_flags: tuple[str, ...] | None = None,
) -> FileProvenance:
    return FileProvenance(
        path=info.path,
        reader=reader,
        member=info.member,
        user=info.user,
        owner=info.owner,
        mode=info.mode,
        mtime=info.mtime,
        section=section,
        risk_flags=risk_flags,
    )


def desktop_provenance(info: FileInfo, tool: str, connection: str | None) -> DesktopProvenance:
    return DesktopProvenance(
        path=info.path,
        tool=tool,
        connection=connection,
        user=info.user,
        owner=info.owner,
        mode=info.mode,
        mtime=info.mtime,
        member=info.member,
    )


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
    reader = getattr(p, "reader", None)
    return reader if isinstance(reader, str) else p.kind
