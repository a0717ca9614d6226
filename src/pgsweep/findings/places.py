"""Group a credential's findings by place: a path in a repository, a file on a machine, a
log line or message. A password carried through many versions of one file is one place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pgsweep.core.models import (
    ChatProvenance,
    CiLogProvenance,
    CredentialId,
    Finding,
    FindingId,
    GitProvenance,
    MailProvenance,
    provenance_path,
)
from pgsweep.findings.credentials import provenance_time


def is_uncommitted(f: Finding) -> bool:
    """A git blob read from the index (`scan --staged`): in no commit, so in no history yet."""
    p = f.provenance
    return isinstance(p, GitProvenance) and p.commit is None and p.reachable


@dataclass(frozen=True)
class Place:
    """One credential at one place, with the history of that place.

    `finding` is the version shown: the one at the branch tip when the credential is still
    there, else the one that introduced it. For git, `introduced` is the earliest version
    (its commit and author), `latest` the newest version that still held it; `versions`
    counts the distinct blobs. Elsewhere every occurrence counts as a version.
    """

    id: FindingId  # the introducing version's finding id: what explain and triage take
    credential: CredentialId
    finding: Finding
    introduced: Finding
    latest: Finding
    present_at_head: bool | None
    versions: int
    findings: tuple[Finding, ...]

    @property
    def path(self) -> str | None:
        return provenance_path(self.finding.provenance)

    @property
    def line(self) -> int:
        return self.finding.line

    @property
    def commit(self) -> str | None:
        """Git: the commit that introduced the credential at this path."""
        p = self.introduced.provenance
        return p.commit if isinstance(p, GitProvenance) else None

    @property
    def last_commit(self) -> str | None:
        """Git: the newest commit that wrote a version still holding the credential."""
        p = self.latest.provenance
        return p.commit if isinstance(p, GitProvenance) else None


def place_key(f: Finding) -> tuple[str, ...]:
    """What makes two findings of one credential the same place."""
    p = f.provenance
    if isinstance(p, GitProvenance):
        return ("git", p.repo, p.path if p.path is not None else f"blob:{p.blob}")
    if isinstance(p, CiLogProvenance | ChatProvenance | MailProvenance):
        # a log line, a chat message, a mail part: each is its own place
        return (p.kind, provenance_path(p) or "", str(f.line))
    return (p.kind, provenance_path(p) or "")


def _when(f: Finding) -> str:
    return provenance_time(f.provenance) or ""


def _blob(f: Finding) -> str:
    p = f.provenance
    return p.blob if isinstance(p, GitProvenance) else f.id


def group_places(findings: Iterable[Finding]) -> list[Place]:
    """Every (credential, place), in the order each was first seen in `findings`."""
    by_key: dict[tuple[str, tuple[str, ...]], list[Finding]] = {}
    for f in findings:
        by_key.setdefault((f.credential, place_key(f)), []).append(f)
    out = []
    for (cid, _key), fs in by_key.items():
        ordered = sorted(fs, key=lambda f: (_when(f), f.line))
        introduced, latest = ordered[0], ordered[-1]
        flags = [f.provenance.present_at_head for f in fs
                 if isinstance(f.provenance, GitProvenance)
                 and f.provenance.present_at_head is not None]
        present = any(flags) if flags else None
        at_head = [f for f in ordered
                   if isinstance(f.provenance, GitProvenance) and f.provenance.present_at_head]
        if at_head:
            newest = _when(at_head[-1])
            shown = min((f for f in at_head if _when(f) == newest), key=lambda f: f.line)
        else:
            first = _when(introduced)
            shown = min((f for f in ordered if _when(f) == first), key=lambda f: f.line)
        out.append(Place(
            id=introduced.id,
            credential=CredentialId(cid),
            finding=shown,
            introduced=introduced,
            latest=latest,
            present_at_head=present,
            versions=len({_blob(f) for f in fs}),
            findings=tuple(ordered),
        ))
    return out
