"""Git repositories as chunks: every unique blob of every ref (and more) read once, attributed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import IO

import pygit2

from pgsweep.core.evolve import evolve
from pgsweep.core.models import Chunk, Finding, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.readers.encodings import as_utf8
from pgsweep.sources.blobreader import BlobRead, BlobReader, BlobRef
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.files import is_binary
from pgsweep.sources.git_enumeration import PARALLEL_MIN_OBJECTS, GitEnumeration
from pgsweep.sources.git_modes import iter_worktree
from pgsweep.sources.git_shards import iter_listed, new_lists, split_reports, write_listing
from pgsweep.sources.git_staged import SHALLOW_WARNING, iter_staged
from pgsweep.sources.git_tips import blobs_at
from pgsweep.sources.interface import Shards, SourceError
from pgsweep.sources.shares import Group, SharedLists, sorted_groups

# libgit2's object cache (256 MiB by default) is not needed: pygit2 reads refs, a few
# commits and one tree per scan; git's own processes read the blobs and the history.
OBJECT_CACHE_BYTES = 32 * 1024 * 1024
# Pack files libgit2 keeps mapped (8 GiB by default on 64-bit): mapped pages count in RSS.
MAPPED_PACK_BYTES = 64 * 1024 * 1024
PACK_WINDOW_BYTES = 16 * 1024 * 1024  # per mapping (1 GiB by default: a whole pack at once)


class GitSource:
    """Every blob reachable from all refs and the stash (or a range of commits), read once.

    Modes, from the options: the full history (default); `since` (commits not reachable
    from REV); `commit_range` (A..B); `staged` (index blobs that differ from HEAD).
    `unreachable` adds every other object in the object database; `worktree` adds the
    working tree's uncommitted and untracked (not ignored) files. A history of
    `parallel_min_objects` objects or more can be shared out between worker processes.
    """

    def __init__(self, path: Path, opts: ScanOptions, *,
                 parallel_min_objects: int = PARALLEL_MIN_OBJECTS) -> None:
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
        pygit2.settings.cache_max_size(OBJECT_CACHE_BYTES)
        pygit2.settings.mwindow_mapped_limit = MAPPED_PACK_BYTES
        pygit2.settings.mwindow_size = PACK_WINDOW_BYTES
        try:
            self.repo = pygit2.Repository(str(path))
        except (pygit2.GitError, KeyError, ValueError):
            raise SourceError(f"{path}: not a git repository") from None
        if opts.staged and self.repo.is_bare:
            raise SourceError(f"{path}: --staged needs a working tree (this is a bare repository)")
        # no commits yet: nothing to scan, a clean result (the index or working tree of a
        # new repository is still read with --staged or --worktree)
        self._empty = (self.repo.head_is_unborn and not list(self.repo.references)
                       and not opts.staged and not opts.worktree)
        self.path = path
        self.opts = opts
        self.parallel_min_objects = parallel_min_objects
        self.enumeration = GitEnumeration(self.repo, path, opts, empty=self._empty,
                                          parallel_min_objects=parallel_min_objects)
        self._excludes = Excludes(opts.excludes)
        self.git_dir = self.enumeration.git_dir
        # what every finding names as its repository: the same absolute path from any
        # working directory (`scan .` and `scan ~/src/app` agree)
        self.name = str(path.resolve())
        self._shard = (0, 1)  # (k, n): shard k of n (see shards); shard 0 reports what is once
        self._lists: list[IO[bytes]] = []  # the listed blobs to read (see _list_into)
        self._shared: SharedLists | None = None  # a worker's share of them (see shards)
        self._partial = _is_partial_clone(self.repo)

    # ------------------------------------------------------------------ parallel scans
    def shards(self, n: int) -> Shards | None:
        """n shards that together read exactly this source's blobs, or None when the scan
        is too small to gain from it or its mode cannot be split (--staged).

        This process lists the blobs once (`fill_shards`) into one unlinked file per shard;
        the workers, forked before that, inherit the files and their locks
        (`SharedLists`). Shard 0 also reports what the scan as a whole reports once
        (shallow history, missing objects, worktree).
        """
        if n < 2 or self.opts.staged or not self.enumeration.is_large():
            return None
        # kept open until the workers have read them; `fill_shards` writes them
        self._lists = new_lists(n)
        return Shards(n, partial(self._shard_of, SharedLists(self._lists), n))

    def fill_shards(self) -> int:
        """List the blobs into the shards' files (after the workers are forked: they need
        none of the memory listing takes); returns how many were listed."""
        return self._list_into(self._lists)

    def _shard_of(self, shared: SharedLists, n: int, k: int) -> GitSource:
        """Shard k of n, in a worker: its share of the listing `shared` holds."""
        source = GitSource(self.path, self.opts, parallel_min_objects=self.parallel_min_objects)
        source._shard = (k, n)
        source._shared = shared
        return source

    def tips(self) -> list[str]:
        """The commits a full scan starts from (refs, HEAD, stash entries): what an
        incremental rescan may later pass back as `exclude_tips`."""
        return self.enumeration.tips()

    # ------------------------------------------------------------------ chunks
    def iter_items(self) -> Iterator[Chunk | Skipped]:
        first = self._shard[0] == 0
        if self._empty:
            yield Skipped(self.name, "empty git repository (no commits): nothing to scan "
                          "(--worktree reads its files, --staged its index)", warn=True)
            return
        if self.repo.is_shallow and first:
            yield Skipped(self.name, SHALLOW_WARNING, warn=True)
        if self.opts.staged:
            tip = None if self.repo.head_is_unborn else self.enumeration.default_tip()
            yield from iter_staged(self.path, self.git_dir, self.name, tip, self._excludes,
                                   self.opts.max_blob_size)
        else:
            yield from self._iter_history()
        if self.opts.worktree and first:
            yield from iter_worktree(self.repo, self.name, self._excludes,
                                     self.opts.max_blob_size)

    def _iter_history(self) -> Iterator[Chunk | Skipped]:
        """The listed blobs, read; then what could not be listed or read."""
        missing: list[str] = []
        errors: list[str] = []
        reader = BlobReader(self.git_dir, self.opts.max_blob_size)
        for read in reader.iter_blobs(self._iter_listed(missing, errors)):
            item = self._item(read)
            if item is not None:
                yield item
        for oid in dict.fromkeys(missing):
            if self._partial:  # promised by the remote, left out of the clone on purpose
                yield Skipped(f"git:{oid}", "missing object (partial clone: not fetched)")
            else:
                yield Skipped(f"git:{oid}", "missing object", incomplete=True)
        # what the enumeration could not list: broken refs, a failed walk
        for message in dict.fromkeys(errors):
            yield Skipped(self.name, message, warn=True, incomplete=True)

    def _list_into(self, files: list[IO[bytes]]) -> int:
        """Every blob to read, into one unlinked file per shard (`git_shards`)."""
        missing: list[str] = []
        errors = self.enumeration.errors
        try:
            listed = write_listing(self.enumeration.iter_blobs(missing), files, missing, errors)
        except OSError as exc:  # a full disk, a file size limit: nothing can be listed
            raise SourceError(
                f"{self.name}: cannot write the list of blobs to read ({exc.strerror or exc})"
            ) from None
        errors.clear()
        return listed

    def _iter_listed(self, missing: list[str], errors: list[str]) -> Iterator[BlobRef]:
        """The blobs `_list_into` wrote, ordered by path; reports go to `missing` and
        `errors`. A worker reads its own share and then what it takes from the others
        (`SharedLists`). Versions of one file are stored as deltas of each other, so
        reading them one after another, newest first, lets git reuse its delta base cache.
        """
        reports: list[bytes] = []
        if self._shared is not None:
            groups: Iterable[Group] = self._shared.claim(self._shard[0], reports)
        else:
            if not self._lists:
                self._lists = new_lists(1)
                self._list_into(self._lists)
            groups = sorted_groups(self._lists[0].read(), reports)
            self._lists[0].close()
        try:
            yield from iter_listed(groups)
        finally:
            split_reports(reports, missing, errors)

    def _where(self, ref: BlobRef) -> str:
        return f"{ref.path} (blob {ref.oid[:12]})" if ref.path else f"blob {ref.oid}"

    def _item(self, read: BlobRead) -> Chunk | Skipped | None:
        ref = read.ref
        if read.error == "not a blob":
            return None  # a tree or tag the enumeration could not tell from a blob
        if read.error is not None:
            if read.error == "too large":
                return Skipped(f"{self._where(ref)}, {read.size:,} bytes", "too large")
            reason = {"missing": "missing or corrupt object", "corrupt": "corrupt object"}
            return Skipped(self._where(ref), reason.get(read.error, read.error), incomplete=True)
        assert read.data is not None
        data = as_utf8(read.data)
        if is_binary(data):
            return Skipped(self._where(ref), "binary")
        return Chunk(
            data=data,
            provenance=GitProvenance(
                repo=self.name, blob=ref.oid, path=ref.path, commit=ref.commit,
                reachable=ref.reachable,
            ),
        )

    # ------------------------------------------------------------------ attribution
    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        """Fill author, date and presence at the default branch's tip for the blobs with
        findings; the enumeration gave each its first commit and path."""
        targets = {
            f.provenance.blob
            for f in findings
            if isinstance(f.provenance, GitProvenance) and f.provenance.author is None
        }
        if not targets:
            return list(findings)
        at_head = self._blobs_at_head(targets)
        people: dict[str, tuple[str, str] | None] = {}
        # the findings of one blob share its place: each place is filled in once
        filled: dict[GitProvenance, GitProvenance] = {}
        out = []
        for f in findings:
            p = f.provenance
            if isinstance(p, GitProvenance) and p.blob in targets:
                done = filled.get(p)
                if done is None:
                    person = None
                    if p.commit is not None:
                        if p.commit not in people:
                            people[p.commit] = self._author(p.commit)
                        person = people[p.commit]
                    done = filled[p] = evolve(
                        p,
                        author=person[0] if person else None,
                        date=person[1] if person else None,
                        present_at_head=p.blob in at_head,
                    )
                f = evolve(f, provenance=done)
            out.append(f)
        return out

    def _author(self, commit_id: str) -> tuple[str, str] | None:
        """`Name <email>` and ISO date of a commit's author: whom to ask about the leak."""
        try:
            commit = self.repo.get(commit_id)
        except (ValueError, pygit2.GitError):
            return None
        if not isinstance(commit, pygit2.Commit):
            return None
        return _person(commit.author), _iso_date(commit.author)

    def _blobs_at_head(self, targets: set[str]) -> set[str]:
        """The targets the default branch's tip holds (anywhere in its tree)."""
        tip = self.enumeration.default_tip()
        if tip is None or not targets:
            return set()
        try:
            return targets & blobs_at(self.path, tip)
        except SourceError:  # a corrupt tree: nothing is known to be at the tip
            return set()


def _is_partial_clone(repo: pygit2.Repository) -> bool:
    """A partial clone (`--filter`): objects a promisor remote holds are left out."""
    config = repo.config
    try:
        if "extensions.partialclone" in config:
            return True
        return any(
            entry.name.startswith("remote.") and entry.name.endswith(".promisor")
            and str(entry.value).lower() in ("true", "yes", "on", "1")
            for entry in config
        )
    except (pygit2.GitError, ValueError):
        return False


def _person(sig: pygit2.Signature) -> str:
    """`Name <email>`: whom to ask about the leak."""
    name = _text(sig, "name")
    email = _text(sig, "email")
    return f"{name} <{email}>" if email else name


def _text(sig: pygit2.Signature, attr: str) -> str:
    try:
        return str(getattr(sig, attr))
    except (UnicodeDecodeError, ValueError):
        raw = getattr(sig, f"raw_{attr}", b"")
        return bytes(raw).decode("utf-8", "replace")


def _iso_date(sig: pygit2.Signature) -> str:
    tz = timezone(timedelta(minutes=sig.offset))
    return datetime.fromtimestamp(sig.time, tz=tz).isoformat()
