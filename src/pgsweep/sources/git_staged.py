"""The staged changes of a git repository (what `git commit` would record), read with
git's own commands: a pre-commit scan needs no libgit2."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pgsweep.core.models import Chunk, Finding, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.readers.encodings import as_utf8
from pgsweep.sources.blobreader import BlobRead, BlobReader, BlobRef
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.files import is_binary
from pgsweep.sources.git_tips import blobs_at, default_tip, git_output
from pgsweep.sources.interface import SourceError

SHALLOW_WARNING = "shallow repository: history before the shallow boundary is not scanned"
_GITLINK = "160000"  # a submodule's commit: nothing of this repository to read
_STAGED = frozenset("AMT")  # added, modified, type changed (`git commit` records these)


def is_staged_only(opts: ScanOptions) -> bool:
    """Whether a scan of a repository reads the staged changes and nothing else."""
    return opts.staged and not (opts.worktree or opts.since or opts.commit_range
                                or opts.unreachable)


class StagedSource:
    """The index blobs that differ from the tip (every index blob before the first commit),
    each read once."""

    def __init__(self, path: Path, opts: ScanOptions) -> None:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        try:
            facts = git_output(path, "rev-parse", "--is-bare-repository",
                               "--is-shallow-repository", "--absolute-git-dir")
        except SourceError:
            raise SourceError(f"{path}: not a git repository") from None
        bare, shallow, git_dir = facts.rstrip("\n").split("\n", 2)
        if bare == "true":
            raise SourceError(f"{path}: --staged needs a working tree (this is a bare repository)")
        self.path = path
        # what every finding names as its repository: the same absolute path from any
        # working directory (`scan .` and `scan ~/src/app` agree)
        self.name = str(path.resolve())
        self.git_dir = git_dir
        self.opts = opts
        self._shallow = shallow == "true"
        self._excludes = Excludes(opts.excludes)
        self._default_tip: tuple[str | None] | None = None  # see _tip

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        if self._shallow:
            yield Skipped(self.name, SHALLOW_WARNING, warn=True)
        yield from iter_staged(self.path, self.git_dir, self.name, self._base(),
                               self._excludes, self.opts.max_blob_size)

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        """Mark each finding's blob as present at the default branch's tip or not; staged
        blobs have no commit, so no author or date."""
        targets = {f.provenance.blob for f in findings
                   if isinstance(f.provenance, GitProvenance) and f.provenance.author is None}
        tip = self._tip() if targets else None
        try:
            at_tip = targets & blobs_at(self.path, tip) if tip is not None else set()
        except SourceError:  # a corrupt tree: nothing is known to be at the tip
            at_tip = set()
        out = []
        for f in findings:
            p = f.provenance
            if isinstance(p, GitProvenance) and p.blob in targets:
                f = replace(f, provenance=replace(p, author=None, date=None,
                                                  present_at_head=p.blob in at_tip))
            out.append(f)
        return out

    def _tip(self) -> str | None:
        """The commit at HEAD, else at main, master or origin's HEAD (`default_tip`)."""
        if self._default_tip is None:
            self._default_tip = (default_tip(self.path),)
        return self._default_tip[0]

    def _base(self) -> str | None:
        """The commit the index is compared with: HEAD's, none while HEAD is unborn (a
        HEAD that names a missing commit falls back as `default_tip` does)."""
        try:
            head = git_output(self.path, "rev-parse", "--verify", "-q", "HEAD^{commit}").strip()
        except SourceError:
            head = ""
        if head:
            self._default_tip = (head,)
            return head
        try:
            git_output(self.path, "rev-parse", "--verify", "-q", "HEAD")
        except SourceError:
            return None  # unborn: the whole index is new
        return self._tip()


def iter_staged(
    repo: Path, git_dir: str, name: str, tip: str | None, excludes: Excludes, max_size: int,
) -> Iterator[Chunk | Skipped]:
    """Index blobs that differ from `tip` (every index blob without one)."""
    seen: set[str] = set()
    refs: list[BlobRef] = []
    for path, mode, oid in _index_changes(repo, tip):
        if excludes.is_excluded(path) or oid in seen:
            continue
        seen.add(oid)
        if mode != _GITLINK:
            refs.append(BlobRef(oid, path))
    if refs:
        for read in BlobReader(git_dir, max_size).iter_blobs(refs):
            item = _staged_item(read, name)
            if item is not None:
                yield item


def _index_changes(repo: Path, tip: str | None) -> list[tuple[str, str, str]]:
    """(path, mode, blob id) of each index entry that differs from `tip`, in path order."""
    if tip is None:
        # `<mode> <oid> <stage>\t<path>` per entry
        out = git_output(repo, "ls-files", "--stage", "-z")
        entries = []
        for record in filter(None, out.split("\0")):
            meta, _, path = record.partition("\t")
            mode, oid, _stage = meta.split()
            entries.append((path, mode, oid))
        return entries
    # `:<old mode> <new mode> <old oid> <new oid> <status>` and the path, NUL-separated
    fields = git_output(repo, "diff-index", "--cached", "--no-renames", "-z", tip).split("\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.lstrip(":").split()
        if len(parts) == 5 and parts[4] in _STAGED:
            changes.append((path, parts[1], parts[3]))
    return changes


def _staged_item(read: BlobRead, name: str) -> Chunk | Skipped | None:
    path = read.ref.path or ""
    where = f"{path} (staged)"
    if read.error == "not a blob":
        return None
    if read.error == "missing":  # what is to be committed could not be read
        return Skipped(where, "missing object", incomplete=True)
    if read.error == "too large":
        return Skipped(where, "too large")
    if read.error is not None or read.data is None:
        return Skipped(where, "corrupt object", incomplete=True)
    data = as_utf8(read.data)
    if is_binary(data):
        return Skipped(where, "binary")
    return Chunk(data=data,
                 provenance=GitProvenance(repo=name, blob=read.ref.oid, path=path))
