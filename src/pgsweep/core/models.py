"""Frozen values that cross stage boundaries: chunks, provenance, candidates, findings."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NewType, TypeAlias

RuleId = NewType("RuleId", str)
FindingId = NewType("FindingId", str)
CredentialId = NewType("CredentialId", str)


class Severity(enum.IntEnum):
    """Ordered severities; `info` is below every threshold a user can choose but `info`."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    def __str__(self) -> str:
        return self.name.lower()


class SecretKind(enum.StrEnum):
    """What a detected secret is."""

    PASSWORD = "password"
    PASSWORD_HASH = "password-hash"
    PARTIAL_PASSWORD = "partial-password"


# --------------------------------------------------------------------------- provenance
@dataclass(frozen=True)
class GitProvenance:
    """A git blob; attribution fills commit, path and author for blobs with findings."""

    repo: str
    blob: str
    path: str | None = None
    commit: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601 author date
    present_at_head: bool | None = None
    reachable: bool = True  # False for objects found only with --unreachable
    kind: Literal["git"] = "git"
    user: str | None = None  # the home the repository belongs to (sweep --repos)


@dataclass(frozen=True, kw_only=True)
class FileFacts:
    """What every provenance read from a file also records about that file: the home it
    belongs to (a sweep), and its owner, mode and modification time."""

    user: str | None = None  # the home the file belongs to (sweep)
    owner: str | None = None
    mode: str | None = None  # e.g. "0644"
    mtime: str | None = None  # ISO 8601


@dataclass(frozen=True)
class FileProvenance(FileFacts):
    """A file on disk or a member of an archive, read by a named reader."""

    path: str
    reader: str = "text"
    member: str | None = None  # path inside an archive
    kind: Literal["file"] = "file"
    section: str | None = None  # the part of the file: notebook cell, service, compose service
    risk_flags: tuple[str, ...] | None = None  # e.g. a .pgpass readable by group or world

    def __post_init__(self) -> None:
        if isinstance(self.risk_flags, list):  # read back from JSON (the findings store)
            object.__setattr__(self, "risk_flags", tuple(self.risk_flags))


@dataclass(frozen=True)
class CiLogProvenance(FileFacts):
    """A CI job log (GitHub Actions, GitLab, Jenkins, plain)."""

    path: str
    system: str
    member: str | None = None
    job: str | None = None
    step: str | None = None
    timestamp: str | None = None  # ISO 8601 (UTC, seconds) of the log lines, when recorded
    kind: Literal["ci-log"] = "ci-log"


@dataclass(frozen=True)
class HistoryProvenance(FileFacts):
    """One entry of a shell or client history file."""

    path: str
    shell: str
    timestamp: str | None = None  # ISO 8601 when the format records one
    member: str | None = None  # path inside an archive
    kind: Literal["history"] = "history"


@dataclass(frozen=True)
class DesktopProvenance(FileFacts):
    """A saved connection of a desktop database tool."""

    path: str
    tool: str
    connection: str | None = None
    kind: Literal["desktop"] = "desktop"
    member: str | None = None  # path inside an archive


@dataclass(frozen=True)
class ChatProvenance(FileFacts):
    """One message of a chat export (Slack): channel, sender, time and thread."""

    path: str  # the export (zip or folder)
    platform: str  # "slack"
    member: str | None = None  # the day file inside the export
    channel: str | None = None
    author: str | None = None  # the sender's name from the export's user list
    timestamp: str | None = None  # ISO 8601 UTC, seconds
    thread: str | None = None  # the thread's first message time (ISO 8601 UTC), in a thread
    part: str = "text"  # text, blocks, attachment, file
    edited: str | None = None  # when the message was last edited (ISO 8601 UTC)
    reader: str | None = None  # for a file shared in the chat: the reader of its text
    kind: Literal["chat"] = "chat"


@dataclass(frozen=True)
class MailProvenance(FileFacts):
    """One message of a mailbox (mbox, Maildir, .eml): sender, date, subject, id, part."""

    path: str
    sender: str | None = None  # From
    timestamp: str | None = None  # Date, ISO 8601 UTC
    subject: str | None = None
    message_id: str | None = None
    member: str | None = None  # the message's place: `message 3` of an mbox, an archive member
    part: str = "body"  # body, or `attachment NAME` (and the path inside an attached archive)
    reader: str = "text"  # the reader of the part's text
    kind: Literal["mail"] = "mail"


@dataclass(frozen=True)
class ImageProvenance(FileFacts):
    """A container image (docker save, OCI layout): a layer's file, or the image config."""

    path: str  # the image tarball or layout folder
    image: str  # repo:tag, or the manifest digest when the image has no name
    layer: str | None = None  # the layer's digest (or its path in a docker save tarball)
    member: str | None = None  # the file's path inside the layer
    part: str = "layer"  # layer, or config.Env / config.Cmd / config.Entrypoint / …, history
    step: str | None = None  # history: `#N INSTRUCTION` of the step that made the layer
    deleted: bool = False  # the file is deleted in a later layer, yet still in the image
    reader: str = "text"
    kind: Literal["image"] = "image"


@dataclass(frozen=True)
class ProcessProvenance:
    """A running process's environment or command line (`/proc/PID/environ`, `cmdline`)."""

    pid: int
    part: str  # environ or cmdline
    user: str | None = None  # the process's owner (real uid's name)
    exe: str | None = None  # the executable's path, or the command name when unreadable
    started: str | None = None  # ISO 8601 UTC
    kind: Literal["process"] = "process"

    @property
    def path(self) -> str:
        return f"/proc/{self.pid}/{self.part}"


Provenance: TypeAlias = (
    GitProvenance | FileProvenance | CiLogProvenance | HistoryProvenance | DesktopProvenance
    | ChatProvenance | MailProvenance | ImageProvenance | ProcessProvenance
)


def provenance_path(p: Provenance) -> str | None:
    """The most specific path a provenance names (archive member included)."""
    if isinstance(p, GitProvenance):
        return p.path
    if isinstance(p, ImageProvenance):
        inner = p.member or p.part
        return f"{p.path}!{p.layer}!{inner}" if p.layer else f"{p.path}!{inner}"
    member = None if isinstance(p, ProcessProvenance) else p.member
    return f"{p.path}!{member}" if member else p.path


def place_key(p: Provenance) -> str:
    """Where a chunk comes from, as part of its findings' ids: a git blob by its id (the same
    content is one place in every commit), anything else by kind, path and, for a record
    with its own time (a log line, a message), that time."""
    if isinstance(p, GitProvenance):
        return f"git:{p.blob}"
    timestamp = p.timestamp if isinstance(
        p, CiLogProvenance | HistoryProvenance | ChatProvenance | MailProvenance) else None
    return f"{p.kind}:{provenance_path(p)}:{timestamp or ''}"


# --------------------------------------------------------------------------- chunks
@dataclass(frozen=True)
class Records:
    """The records a chunk joins (a chat export's messages of one day): record i starts at
    byte `starts[i]`, 1-based data line `lines[i]`, and has provenance `provenance_of(i)`,
    made only for the records a finding needs (a day holds thousands of messages)."""

    starts: tuple[int, ...]
    lines: tuple[int, ...]
    provenance_of: Callable[[int], Provenance]


@dataclass(frozen=True)
class Chunk:
    """Text to scan and where it came from.

    `line_map[i]` is the 1-based line in the original input that line i (0-based) of
    `data` came from, for readers that normalise their format; None means identity.
    `decoded` marks text produced by decoding a value (base64, JSON escapes), so a
    detector does not decode it again. `handed` holds credentials a reader read from the
    fields of a format with no text form (detected under their own rule, not parsed from
    `data`). `records`, in data order, split a chunk that joins
    several records (a chat export's messages of one day, scanned in one pass): a finding
    takes the provenance of the record that holds its line, and no match window or
    parser context reaches from one record into another.
    """

    data: bytes
    provenance: Provenance
    line_map: tuple[int, ...] | None = None
    decoded: bool = False
    records: Records | None = None
    # credentials a reader read from the fields of a format with no text form to parse
    handed: tuple[HandedCredential, ...] = ()

    def record_index(self, line: int) -> int:
        """The index of the record that holds 1-based data line `line` (0 without records)."""
        if self.records is None:
            return 0
        return max(0, bisect.bisect_right(self.records.lines, line) - 1)

    def provenance_at(self, line: int) -> Provenance:
        """The provenance of 1-based data line `line`: its record's, or the chunk's."""
        if self.records is None or not self.records.starts:
            return self.provenance
        return self.records.provenance_of(self.record_index(line))

    def record_bounds(self, pos: int) -> tuple[int, int]:
        """The byte range of the record that holds byte `pos` (the whole data without
        records); a record ends where the next one starts, less its newline."""
        if self.records is None or not self.records.starts:
            return 0, len(self.data)
        starts = self.records.starts
        i = max(0, bisect.bisect_right(starts, pos) - 1)
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(self.data)
        return starts[i], max(starts[i], end)

    def original_line(self, line: int) -> int:
        """Map a 1-based line of `data` to the original input's line."""
        if self.line_map is None:
            return line
        if 0 < line <= len(self.line_map):
            return self.line_map[line - 1]
        return self.line_map[-1] if self.line_map else line


@dataclass(frozen=True)
class Skipped:
    """An input that was not scanned, and why; counted in the stats."""

    where: str
    reason: str
    warn: bool = False  # also worth a warning line (shallow history, a failed git pass)
    # What should have been read could not be (a broken ref, a corrupt object): the scan
    # is incomplete, so its result cannot be called clean.
    incomplete: bool = False


# --------------------------------------------------------------------------- detection
@dataclass(frozen=True)
class ParsedCredential:
    """The structured parts a parser found in a match."""

    password: str | None = None
    user: str | None = None
    hosts: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    database: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    kind: SecretKind = SecretKind.PASSWORD


@dataclass(frozen=True)
class HandedCredential:
    """A credential a reader read from the fields of its format (a desktop tool's saved
    connection: an encrypted or SQLite store), under the rule of that form (a signature
    with `handed: true`); `line` is the 1-based line of the chunk it maps to."""

    rule: RuleId
    line: int
    parsed: ParsedCredential


@dataclass(frozen=True)
class Candidate:
    """A match of one signature in one chunk, parsed but not yet filtered."""

    rule: RuleId
    parsed: ParsedCredential
    start: int  # byte offsets into the chunk's data
    end: int
    line: int  # 1-based line in the chunk's data
    severity: Severity
    line_text: str = field(default="", repr=False)  # the matched line, for inline ignores


@dataclass(frozen=True)
class Finding:
    """One occurrence of a leaked credential at one place."""

    id: FindingId
    rule: RuleId
    kind: SecretKind
    provenance: Provenance
    line: int
    secret: str = field(repr=False)
    fingerprint: str
    user: str | None
    hosts: tuple[str, ...]
    ports: tuple[str, ...]
    database: str | None
    params: tuple[tuple[str, str], ...]
    severity: Severity
    credential: CredentialId

    @property
    def host(self) -> str | None:
        return ",".join(self.hosts) if self.hosts else None

    @property
    def port(self) -> str | None:
        return ",".join(p for p in self.ports if p) or None


@dataclass(frozen=True)
class Credential:
    """Findings that share user, password and host set: one secret to rotate."""

    id: CredentialId
    user: str | None
    hosts: tuple[str, ...]
    database: str | None
    kind: SecretKind
    severity: Severity
    fingerprint: str
    redacted: str
    findings: tuple[FindingId, ...]
    first_seen: str | None
    last_seen: str | None


@dataclass
class ScanStats:
    """Counters of one scan; mutable while the scan runs, then reported."""

    blobs: int = 0
    bytes: int = 0
    files: int = 0
    chunks: int = 0
    candidates: int = 0
    findings: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mib: float = 0.0  # this process's peak resident memory, for the benchmark
    notices: list[str] = field(default_factory=list)  # skips the user must hear about
    planned_blobs: int = 0  # blobs listed for a parallel scan, when known (progress ETA)
    # Why the scan is incomplete (empty: it read everything it set out to read).
    incomplete: list[str] = field(default_factory=list)

    def skip(self, skipped: Skipped) -> None:
        self.skipped[skipped.reason] = self.skipped.get(skipped.reason, 0) + 1
        if len(self.warnings) < 200:
            self.warnings.append(f"{skipped.where}: {skipped.reason}")
        if skipped.warn:
            self.notices.append(f"{skipped.where}: {skipped.reason}")
        if skipped.incomplete:
            self.mark_incomplete(f"{skipped.where}: {skipped.reason}")

    def mark_incomplete(self, why: str) -> None:
        """Record that the scan missed something it should have read (each reason once,
        at most 50)."""
        if why not in self.incomplete and len(self.incomplete) < 50:
            self.incomplete.append(why)

    def suppress(self, reason: str) -> None:
        self.suppressed[reason] = self.suppressed.get(reason, 0) + 1

    def absorb(self, other: ScanStats) -> None:
        """Add another part's counters (a worker's share of a parallel scan)."""
        for name in ("blobs", "bytes", "files", "chunks", "candidates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.suppressed, other.suppressed), (self.skipped, other.skipped)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        self.warnings.extend(other.warnings[: max(0, 200 - len(self.warnings))])
        self.notices.extend(other.notices)
        for why in other.incomplete:
            self.mark_incomplete(why)
        self.peak_rss_mib = round(self.peak_rss_mib + other.peak_rss_mib, 1)


@dataclass(frozen=True)
class UserSummary:
    """One user's share of a sweep: their home, what was read, and what leaked."""

    user: str
    home: str
    files: int = 0
    skipped: int = 0
    findings: int = 0
    credentials: int = 0
    encrypted_present: int = 0  # saved passwords seen but not decryptable (pgAdmin, DBeaver)
    risk_flags: tuple[str, ...] = ()
    repos: int = 0


@dataclass(frozen=True)
class RepositorySummary:
    """One repository's share of an audit: its findings and credentials, or why it failed."""

    repository: str  # an absolute path, or a URL without credentials
    findings: int = 0
    credentials: int = 0
    error: str | None = None
