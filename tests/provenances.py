"""A finding's or chunk's provenance as the kind a test expects (an assertion when it is not)."""

from __future__ import annotations

from typing import Protocol

from pgsweep.core.models import (
    ChatProvenance,
    CiLogProvenance,
    DesktopProvenance,
    FileFacts,
    FileProvenance,
    GitProvenance,
    HistoryProvenance,
    Provenance,
)


class HasProvenance(Protocol):
    @property
    def provenance(self) -> Provenance: ...


def git_of(x: HasProvenance) -> GitProvenance:
    assert isinstance(x.provenance, GitProvenance), x.provenance
    return x.provenance


def file_of(x: HasProvenance) -> FileProvenance:
    assert isinstance(x.provenance, FileProvenance), x.provenance
    return x.provenance


def facts_of(x: HasProvenance) -> FileFacts:
    """The file facts (owner, mode, mtime) any provenance read from a file carries."""
    assert isinstance(x.provenance, FileFacts), x.provenance
    return x.provenance


def ci_of(x: HasProvenance) -> CiLogProvenance:
    assert isinstance(x.provenance, CiLogProvenance), x.provenance
    return x.provenance


def history_of(x: HasProvenance) -> HistoryProvenance:
    assert isinstance(x.provenance, HistoryProvenance), x.provenance
    return x.provenance


def desktop_of(x: HasProvenance) -> DesktopProvenance:
    assert isinstance(x.provenance, DesktopProvenance), x.provenance
    return x.provenance


def chat_of(x: HasProvenance) -> ChatProvenance:
    assert isinstance(x.provenance, ChatProvenance), x.provenance
    return x.provenance
