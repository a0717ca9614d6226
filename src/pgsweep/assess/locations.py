"""Describe where a credential was seen, for a rotation plan, with no secret material."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pgsweep.assess.risk_factors import Channel, channel_of
from pgsweep.core.models import (
    ChatProvenance,
    CiLogProvenance,
    DesktopProvenance,
    FileProvenance,
    FindingId,
    GitProvenance,
    HistoryProvenance,
    ImageProvenance,
    MailProvenance,
    ProcessProvenance,
    Provenance,
    provenance_path,
)
from pgsweep.findings.credentials import provenance_time
from pgsweep.findings.places import Place, is_uncommitted
from pgsweep.findings.scrub import SecretSet, scrub_host, scrub_text


@dataclass(frozen=True)
class Location:
    """One place a credential was seen (every version of one file is one place), without
    the secret. `line` is the line at the branch tip when still there, else where it was
    introduced."""

    finding: FindingId
    channel: Channel
    where: str
    line: int
    seen: str | None  # ISO 8601 when known: when it was introduced here
    present: bool | None  # still at the branch tip (git); None when unknown
    detail: str = ""
    place: str = ""  # the place's id
    versions: int = 1  # git: blobs of this path that held it; else occurrences
    commit: str | None = None  # git: the introducing commit
    last_commit: str | None = None  # git: the newest commit whose version still held it
    repository: str | None = None  # git: the repository (path, or URL without credentials)

    @property
    def text(self) -> str:
        """`where:line`, as every plan shows a place."""
        return f"{self.where}:{self.line}"

    def notes(self, escape: Callable[[str], str]) -> list[str]:
        """What a plan says after the place: its detail and when it was seen (scanned text,
        through `escape`), and whether it is still there."""
        bits = [escape(self.detail)] if self.detail else []
        if self.seen:
            bits.append(f"seen {escape(self.seen)}")
        if self.present is True:
            bits.append("still present")
        elif self.present is False:
            bits.append("history only")
        return bits


class Scrubber:
    """Replaces secret material that slipped into a host, path or name (the rule of
    `pgsweep.findings.scrub`: a weak password that also names a host leaves the host alone)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = SecretSet(secrets)

    def __call__(self, text: str) -> str:
        return scrub_text(text, self.secrets)

    def host(self, text: str) -> str:
        return scrub_host(text, self.secrets)

    def opt(self, text: str | None) -> str | None:
        return None if text is None else self(text)


def _words(*bits: str) -> str:
    return " ".join(b for b in bits if b)


def _git_detail(place: Place, p: GitProvenance) -> str:
    first = place.introduced.provenance
    bits = []
    if place.commit:
        bits.append(f"introduced in {place.commit[:12]}")
    if isinstance(first, GitProvenance) and first.author:
        bits.append(f"by {first.author}")
    if place.versions > 1:
        bits.append(f"in {place.versions} versions")
    if place.last_commit and place.last_commit != place.commit:
        bits.append(f"last in {place.last_commit[:12]}")
    if not p.reachable:
        bits.append("unreachable object")
    return ", ".join(bits)


def _ci_detail(p: CiLogProvenance) -> str:
    return _words(p.system, f"job {p.job}" if p.job else "", f"step {p.step}" if p.step else "")


def _history_detail(p: HistoryProvenance) -> str:
    return f"{p.shell} history" + (f" of {p.user}" if p.user else "")


def _desktop_detail(p: DesktopProvenance) -> str:
    return f"{p.tool}" + (f" connection {p.connection}" if p.connection else "")


def _chat_detail(p: ChatProvenance) -> str:
    return _words(
        p.platform, f"#{p.channel}" if p.channel else "", f"by {p.author}" if p.author else "",
        f"at {p.timestamp}" if p.timestamp else "", f"in thread {p.thread}" if p.thread else "",
        p.part if p.part != "text" else "")


def _mail_detail(p: MailProvenance) -> str:
    return _words(
        f"from {p.sender}" if p.sender else "", f"on {p.timestamp}" if p.timestamp else "",
        f"subject {p.subject!r}" if p.subject else "",
        f"message-id {p.message_id}" if p.message_id else "", p.part)


def _image_detail(p: ImageProvenance) -> str:
    return _words(
        f"image {p.image}", p.part if p.part != "layer" else "", p.step or "",
        "deleted in a later layer, still in the image" if p.deleted else "")


def _process_detail(p: ProcessProvenance) -> str:
    return _words(f"pid {p.pid}", f"user {p.user}" if p.user else "", p.exe or "",
                  f"started {p.started}" if p.started else "")


def _file_detail(p: FileProvenance) -> str:
    return f"read as {p.reader}" if p.reader != "text" else ""


# How each kind of provenance (other than git) describes itself, and whether the leak is
# known to be still there (a file, an image or a process is what was read just now).
_DETAILS: dict[type[Any], tuple[Callable[[Any], str], bool | None]] = {
    CiLogProvenance: (_ci_detail, None),
    HistoryProvenance: (_history_detail, None),
    DesktopProvenance: (_desktop_detail, None),
    ChatProvenance: (_chat_detail, None),
    MailProvenance: (_mail_detail, None),
    ImageProvenance: (_image_detail, True),
    ProcessProvenance: (_process_detail, True),
    FileProvenance: (_file_detail, True),
}


def _other_detail(p: Provenance) -> tuple[str, bool | None]:
    describe, present = _DETAILS[type(p)]
    return describe(p), present


def location_of(place: Place, scrub: Scrubber) -> Location:
    """A place as a plan shows it: where (repository and path), what else is known, and
    whether it is still there; every text scrubbed of the credentials' secrets."""
    f = place.finding
    p = f.provenance
    path = provenance_path(p) or "?"
    if isinstance(p, GitProvenance):
        where = f"{p.repo}:{path}" if p.repo else path
        detail, present = _git_detail(place, p), place.present_at_head
        if is_uncommitted(f):  # staged: in the index and the working tree, in no commit
            detail, present = "staged, not committed", True
        elif not p.reachable:  # dangling: neither at the tip nor in any ref's history
            present = None
    else:
        where = path
        detail, present = _other_detail(p)
        if place.versions > 1:
            detail = ", ".join(b for b in (detail, f"{place.versions} times") if b)
    return Location(
        finding=f.id,
        channel=channel_of(f),
        where=scrub(where),
        line=f.line,
        seen=provenance_time(place.introduced.provenance),
        present=present,
        detail=scrub(detail),
        place=place.id,
        versions=place.versions,
        commit=place.commit,
        last_commit=place.last_commit,
        repository=p.repo if isinstance(p, GitProvenance) else None,
    )
