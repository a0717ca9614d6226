"""Git repositories as chunks: every unique blob of every ref (and more) read once, attributed."""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import pygit2

from pgsweep.core.models import Chunk, FileProvenance, Finding, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.sources.blobreader import BlobRead, BlobReader, BlobRef, git_command, git_env
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.files import file_meta, is_binary
from pgsweep.sources.git_tips import blobs_at, broken_refs, list_tips, ref_targets
from pgsweep.sources.interface import SourceError
from pgsweep.sources.shares import Group, SharedLists, sorted_groups

_OID_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_DEFAULT_BRANCHES = ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/HEAD")
# libgit2's object cache (256 MiB by default) is not needed: pygit2 reads refs, a few
# commits and one tree per scan; git's own processes read the blobs and the history.
OBJECT_CACHE_BYTES = 32 * 1024 * 1024
# Pack files libgit2 keeps mapped (8 GiB by default on 64-bit): mapped pages count in RSS.
MAPPED_PACK_BYTES = 64 * 1024 * 1024
PACK_WINDOW_BYTES = 16 * 1024 * 1024  # per mapping (1 GiB by default: a whole pack at once)


# The shared listing of the parallel scan being set up: forked workers inherit it.
_SHARED: SharedLists | None = None

# Below this many objects a scan takes well under a second: not worth worker processes.
PARALLEL_MIN_OBJECTS = 20_000


class GitSource:
    """Every blob reachable from all refs and the stash (or a range of commits), read once.

    Modes, from the options: the full history (default); `since` (commits not reachable
    from REV); `commit_range` (A..B); `staged` (index blobs that differ from HEAD).
    `unreachable` adds every other object in the object database; `worktree` adds the
    working tree's uncommitted and untracked (not ignored) files.
    """

    def __init__(self, path: Path, opts: ScanOptions) -> None:
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
        self._excludes = Excludes(opts.excludes)
        self.git_dir = str(Path(self.repo.path).resolve())
        self.name = str(path)
        self.reader_errors: list[str] = []
        self._seen: set[str] = set()  # blobs listed so far: each is read once
        self._since = self._resolve(opts.since) if opts.since and not self._empty else None
        self._range = (self._parse_range(opts.commit_range)
                       if opts.commit_range and not self._empty else None)
        self._shard = (0, 1)  # (k, n): shard k of n (see shards); shard 0 reports what is once
        self._lists: list[IO[bytes]] = []  # the listed blobs to read (see _list_into)
        self._shared: SharedLists | None = None  # a worker's share of them (see shards)
        self._object_count: int | None = None  # see _large
        self._ref_args: list[str] | None = None  # see _all_refs
        self._partial = _is_partial_clone(self.repo)

    # ------------------------------------------------------------------ parallel scans
    def shards(self, n: int) -> list[tuple[Path, ScanOptions, int, int, int]] | None:
        """Recipes for n sources that together read exactly this one's blobs, or None when
        the scan is too small to gain from it or its mode cannot be split (--staged).

        This process lists the blobs once (`fill_shards`) into one unlinked file per shard;
        a recipe names its file by descriptor, which the forked worker inherits. Shard 0
        also reports what the scan as a whole reports once (shallow history, missing
        objects, worktree).
        """
        if n < 2 or self.opts.staged or not self._large():
            return None
        # kept open until the workers have read them; `fill_shards` writes them
        global _SHARED
        self._lists = _new_lists(n)
        _SHARED = SharedLists(self._lists)  # inherited by the workers forked next
        return [(self.path, self.opts, k, n, f.fileno()) for k, f in enumerate(self._lists)]

    def fill_shards(self) -> int:
        """List the blobs into the shards' files (after the workers are forked: they need
        none of the memory listing takes); returns how many were listed."""
        return self._list_into(self._lists)

    @classmethod
    def shard(cls, path: Path, opts: ScanOptions, k: int, n: int, fd: int) -> GitSource:
        """Shard k of n, in a worker forked after `shards` (which made `_SHARED`)."""
        if _SHARED is None or _SHARED.fds[k] != fd:
            raise SourceError("internal error: a git shard outside the scan that made it")
        source = cls(path, opts)
        source._shard = (k, n)
        source._shared = _SHARED
        return source

    def _large(self) -> bool:
        """Whether the object database holds PARALLEL_MIN_OBJECTS or more (counted once:
        both the sharding and the enumeration ask)."""
        if self._object_count is None:
            self._object_count = self.object_count()
        return self._object_count >= PARALLEL_MIN_OBJECTS

    def object_count(self) -> int:
        """Objects in the object database (packed and loose), from `git count-objects`."""
        out = subprocess.run(
            git_command(self.git_dir, "count-objects", "-v"),
            capture_output=True, env=git_env(), check=False, text=True, errors="replace",
        )
        total = 0
        for line in out.stdout.splitlines():
            key, _, value = line.partition(":")
            if key in ("count", "in-pack") and value.strip().isdigit():
                total += int(value)
        return total

    # ------------------------------------------------------------------ options
    def _resolve(self, rev: str) -> str:
        """A revision as a commit id; a rev that is not one is a clear error."""
        try:
            obj = self.repo.revparse_single(rev)
            return str(obj.peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            hint = (" (a shallow clone: fetch more history with `git fetch --deepen=N` or "
                    "`git fetch --unshallow`)" if self.repo.is_shallow else "")
            raise SourceError(f"{rev}: unknown revision in {self.path}{hint}") from None

    def _parse_range(self, spec: str) -> tuple[str, str]:
        if "..." in spec or ".." not in spec:
            raise SourceError(f"{spec}: expected a commit range A..B")
        a, b = spec.split("..", 1)
        return self._resolve(a or "HEAD"), self._resolve(b or "HEAD")

    # ------------------------------------------------------------------ refs
    def _ref_tips(self) -> list[str]:
        """Commits at the tip of every ref (HEAD included) and every stash entry."""
        # git lists the refs: peeling tens of thousands of them (a mirror's pull-request
        # refs) through pygit2 cost rails/rails 0.8 s and 120 MiB of mapped packs.
        try:
            tips = list(list_tips(self.path))
        except SourceError:
            tips = []
        tips.extend(self._stash_commits())
        return list(dict.fromkeys(tips))

    def _stash_commits(self) -> list[str]:
        """`stash@{n}` for every n: the stash ref's reflog (its tip is in `--all` already)."""
        ref = self.repo.references.get("refs/stash")
        if ref is None:
            return []
        try:
            return [str(e.oid_new) for e in ref.log()]
        except pygit2.GitError:
            return []

    def tips(self) -> list[str]:
        """The commits a full scan starts from (refs, HEAD, stash entries): what an
        incremental rescan may later pass back as `exclude_tips`."""
        return self._ref_tips()

    def _exclude_tips(self) -> list[str]:
        """`opts.exclude_tips` that are commits of this repository."""
        out = []
        for tip in self.opts.exclude_tips:
            if _OID_RE.match(tip) and tip in self.repo:
                out.append(tip)
        return out

    def default_tip(self) -> pygit2.Commit | None:
        """The tip of the default branch: HEAD's branch, else main or master."""
        candidates: list[pygit2.Reference | None] = []
        with contextlib.suppress(pygit2.GitError):
            candidates.append(self.repo.head)
        candidates.extend(self.repo.references.get(n) for n in _DEFAULT_BRANCHES)
        for ref in candidates:
            if ref is None:
                continue
            try:
                return ref.peel(pygit2.Commit)
            except (pygit2.GitError, KeyError, ValueError):
                continue
        return None

    # ------------------------------------------------------------------ enumeration
    def _all_refs(self) -> list[str]:
        """rev-list arguments for every ref and HEAD (what `--all` names), less the refs
        whose object is missing: git would refuse the whole walk for one of them. Each is
        reported (the scan is then incomplete) and the rest of the history is walked."""
        if self._ref_args is None:
            broken, head_ok = broken_refs(self.path)
            excludes = [f"--exclude={name}" for name in broken]
            self._ref_args = [*excludes, "--all" if head_ok else "--glob=refs/*"]
            head = self.repo.references.get("HEAD")
            branch = head.target if head is not None else None
            if not head_ok and branch not in broken:  # detached, or not a ref git lists
                broken = ("HEAD", *broken)
            self.reader_errors.extend(
                f"{name}: points to a missing or unreadable object (its history is not "
                "scanned)" for name in broken)
        return self._ref_args

    def _excluded(self, path: str | None) -> bool:
        return path is not None and self._excludes.is_excluded(path)

    def _iter_rev_list(
        self, args: Sequence[str], stdin_revs: Sequence[str], missing: list[str], reachable: bool,
        named: frozenset[bytes] = frozenset(),
    ) -> Iterator[BlobRef]:
        """Blobs `git rev-list --objects` lists, once each, with the first commit (parents
        first) and path they appear at (see `_RevList`)."""
        yield from self._listed(_RevList(self.git_dir, args, stdin_revs), missing, reachable,
                                named)

    def _listed(
        self, rev_list: _RevList, missing: list[str], reachable: bool,
        named: frozenset[bytes] = frozenset(), skip: set[bytes] | None = None,
    ) -> Iterator[BlobRef]:
        """The blobs of one rev-list run not in `skip` (nor listed by an earlier pass)."""
        # rev-list lists each object once; only a later pass (--unreachable) needs to know
        # what this one listed (a set of every blob id costs rails/rails ~35 MiB)
        seen = self._seen
        track = self.opts.unreachable
        excludes = bool(self.opts.excludes)
        try:
            for oid, raw_path, commit in _first_holders(rev_list.lines(), missing, named):
                if oid in seen or (skip is not None and bytes.fromhex(oid) in skip):
                    continue
                if track:
                    seen.add(oid)
                path = raw_path.decode("utf-8", "surrogateescape")
                if excludes and self._excluded(path):
                    continue
                yield BlobRef(oid, path or None, reachable, commit)
        finally:
            error = rev_list.finish()
        if error:
            self.reader_errors.append(error)

    def _iter_history(self, missing: list[str]) -> Iterator[BlobRef]:
        """Every ref's history (and the stash's), less what an earlier scan covered.

        On a history of PARALLEL_MIN_OBJECTS objects or more with a default branch, two
        rev-lists walk it at once: the default branch's history, and every ref's less
        that (a mirror's pull-request refs hold much history of their own: rails/rails
        took 6.5 s of walking in one process, 3.2 s and 4.8 s in two). The default branch
        is listed first, which is an order parents come first in (nothing it holds
        descends from the other refs); a blob both list keeps the default branch's commit.
        """
        # exclude_tips: an incremental rescan skips what an earlier scan covered.
        hidden = [f"^{t}" for t in self._exclude_tips()]
        named = frozenset(t.encode("ascii") for t in ref_targets(self.path))
        head = self.default_tip()
        if head is None or not self._large():
            yield from self._iter_rev_list(
                self._all_refs(), [*self._stash_commits(), *hidden], missing, True, named)
            return
        tip = str(head.id)
        others = _RevList(
            self.git_dir, self._all_refs(), [*self._stash_commits(), f"^{tip}", *hidden],
            spool=True)
        mainline: set[bytes] = set()  # binary ids: rails holds 280k of them (14 MiB)
        try:
            for ref in self._listed(_RevList(self.git_dir, [], [tip, *hidden]), missing, True):
                mainline.add(bytes.fromhex(ref.oid))
                yield ref
            yield from self._listed(others, missing, True, named, skip=mainline)
        finally:
            others.finish()  # a scan stopped early leaves no git running

    def _iter_odb_blobs(self) -> Iterator[BlobRef]:
        """Objects in the object database that no earlier pass listed: dangling blobs too.

        Dangling commits are walked first, so their blobs carry a path.
        """
        out = subprocess.run(
            git_command(
                self.git_dir, "cat-file", "--batch-all-objects", "--unordered",
                "--batch-check=%(objectname) %(objecttype)",
            ),
            capture_output=True, env=git_env(), check=False,
        )
        if out.returncode != 0:
            detail = out.stderr.decode("utf-8", "replace").strip().splitlines()
            self.reader_errors.append(f"git cat-file --batch-all-objects failed: {detail[:1]}")
        blobs: list[str] = []
        commits: list[str] = []
        for line in out.stdout.decode("ascii", "replace").splitlines():
            oid, _, kind = line.partition(" ")
            if kind == "blob":
                blobs.append(oid)
            elif kind == "commit":
                commits.append(oid)
        missing: list[str] = []
        yield from self._iter_rev_list(
            ["--not", *self._all_refs()], commits, missing, reachable=False)
        for oid in blobs:
            if oid not in self._seen:
                self._seen.add(oid)
                yield BlobRef(oid, None, reachable=False)

    def _iter_refs(self, missing: list[str]) -> Iterator[BlobRef]:
        """Every blob the scan mode selects, in an order git reads fast (history order)."""
        if self._range is not None:
            a, b = self._range
            yield from self._iter_rev_list([], [b, f"^{a}"], missing, reachable=True)
        elif self._since is not None:
            # What the checked-out history adds over REV (git log REV..HEAD), as CI wants:
            # other refs (pull-request refs in a mirror, other local branches) are not
            # "new" here. Without a HEAD, every ref's tip.
            head = self.default_tip()
            tips = [str(head.id)] if head is not None else self._ref_tips()
            yield from self._iter_rev_list([], [*tips, f"^{self._since}"], missing, True)
        else:
            yield from self._iter_history(missing)
        if self.opts.unreachable:
            yield from self._iter_odb_blobs()

    # ------------------------------------------------------------------ chunks
    def iter_items(self) -> Iterator[Chunk | Skipped]:
        self._seen.clear()
        first = self._shard[0] == 0
        if self._empty:
            yield Skipped(self.name, "empty git repository (no commits): nothing to scan",
                          warn=True)
            return
        if self.repo.is_shallow and first:
            yield Skipped(
                self.name,
                "shallow repository: history before the shallow boundary is not scanned",
                warn=True,
            )
        if self.opts.staged:
            yield from self._iter_staged()
        else:
            missing: list[str] = []
            reader = BlobReader(self.git_dir, self.opts.max_blob_size)
            for read in reader.iter_blobs(self._iter_listed(missing)):
                item = self._item(read)
                if item is not None:
                    yield item
            for oid in dict.fromkeys(missing):
                if self._partial:  # promised by the remote, left out of the clone on purpose
                    yield Skipped(f"git:{oid}", "missing object (partial clone: not fetched)")
                else:
                    yield Skipped(f"git:{oid}", "missing object", incomplete=True)
            # what the enumeration could not list: broken refs, a failed walk
            for message in dict.fromkeys(self.reader_errors):
                yield Skipped(self.name, message, warn=True, incomplete=True)
        if self.opts.worktree and first:
            yield from self._iter_worktree()

    def _list_into(self, files: list[IO[bytes]]) -> int:
        """Every blob to read, into one unlinked file per shard, every version of a path
        in the same file, written as the enumeration lists them.

        Each shard orders its own blobs by path when it starts (`_iter_listed`), so the
        sorting runs in the workers, in parallel, and not here between the enumeration
        and the reading (rails/rails: 1.1 s). A path new to the listing goes to the file
        with the fewest blobs so far; workers even out what that leaves uneven by taking
        from each other (`SharedLists`). The first file also carries what the scan
        reports once: missing objects (`?`) and enumeration errors (`!`).
        """
        missing: list[str] = []
        n = len(files)
        writes = [f.write for f in files]
        shard_of: dict[str, int] = {}
        load = [0] * n
        # `<path>\0<rank> <id> <reachable> <commit>`: sorted as bytes, a shard's lines come
        # by path, and within a path by rank, which falls as the listing goes on (newest
        # first); no key objects, so a worker's sort holds little beyond its lines
        rank = 0xFFFFFFFF
        for ref in self._iter_refs(missing):
            key = ref.path or ref.oid
            k = shard_of.get(key)
            if k is None:
                k = shard_of[key] = load.index(min(load)) if n > 1 else 0
            load[k] += 1
            rank -= 1
            writes[k](
                f"{ref.path or ''}\0{rank:08x} {ref.oid} {ref.reachable:d} {ref.commit or '-'}\n"
                .encode("utf-8", "surrogateescape")
            )
        for oid in dict.fromkeys(missing):
            files[0].write(f"\0? {oid}\n".encode())
        for message in dict.fromkeys(self.reader_errors):
            files[0].write(("\0! " + " ".join(message.split()) + "\n").encode("utf-8", "replace"))
        self.reader_errors.clear()
        for f in files:
            f.flush()
            f.seek(0)
        return sum(load)

    def _iter_listed(self, missing: list[str]) -> Iterator[BlobRef]:
        """The blobs `_list_into` wrote, ordered by path; reports go to `missing` and
        errors. A worker reads its own share and then what it takes from the others
        (`SharedLists`).

        Versions of one file are stored as deltas of each other, so reading them one after
        another lets git reuse its delta base cache. Measured with `git cat-file --batch`:
        rails/rails took 7.3 s of git CPU in rev-list order and 5.0 s in path order;
        sqlalchemy 3.4 s and 2.2 s; two readers dealt blobs in turn took 8.4 s on rails.
        Within a path, newest first: packs keep the newest version whole and older ones as
        deltas against it (oldest first cost rails/rails 30% more git CPU).
        """
        reports: list[bytes] = []
        if self._shared is not None:
            groups: Iterable[Group] = self._shared.claim(self._shard[0], reports)
        else:
            if not self._lists:
                self._lists = _new_lists(1)
                self._list_into(self._lists)
            groups = sorted_groups(self._lists[0].read(), reports)
            self._lists[0].close()
        try:
            for group in groups:
                for line in group:
                    path, _, rest = line.partition(b"\0")
                    _rank, oid, reachable, commit = rest.decode("ascii").split(" ")
                    yield BlobRef(
                        oid, path.decode("utf-8", "surrogateescape") or None, reachable == "1",
                        None if commit == "-" else commit,
                    )
        finally:
            for line in reports:
                text = line[3:].decode("utf-8", "replace")
                (missing if line[1:2] == b"?" else self.reader_errors).append(text)

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
        if is_binary(read.data):
            return Skipped(self._where(ref), "binary")
        return Chunk(
            data=read.data,
            provenance=GitProvenance(
                repo=self.name, blob=ref.oid, path=ref.path, commit=ref.commit,
                reachable=ref.reachable,
            ),
        )

    def _iter_staged(self) -> Iterator[Chunk | Skipped]:
        """Index blobs that differ from HEAD (what `git commit` would record)."""
        index = self.repo.index
        head = self.default_tip() if not self.repo.head_is_unborn else None
        if head is None:
            entries = [(e.path, str(e.id)) for e in index]
        else:
            diff = index.diff_to_tree(head.tree)
            entries = [
                (d.new_file.path, str(d.new_file.id))
                for d in diff.deltas
                if d.status_char() in ("A", "M", "T", "C", "R")
            ]
        for path, oid in entries:
            if self._excluded(path) or oid in self._seen:
                continue
            self._seen.add(oid)
            try:
                blob = self.repo[oid]
            except (KeyError, ValueError):
                yield Skipped(f"{path} (staged)", "missing object")
                continue
            if not isinstance(blob, pygit2.Blob):
                continue
            if blob.size > self.opts.max_blob_size:
                yield Skipped(f"{path} (staged)", "too large")
                continue
            data = blob.data
            if is_binary(data):
                yield Skipped(f"{path} (staged)", "binary")
                continue
            yield Chunk(data=data, provenance=GitProvenance(repo=self.name, blob=oid, path=path))

    def _iter_worktree(self) -> Iterator[Chunk | Skipped]:
        """Uncommitted and untracked (not ignored) files of the working tree."""
        workdir = self.repo.workdir
        if workdir is None:
            yield Skipped(self.name, "bare repository: no working tree to scan", warn=True)
            return
        skip = pygit2.enums.FileStatus.IGNORED | pygit2.enums.FileStatus.WT_DELETED
        for rel, flags in sorted(self.repo.status().items()):
            if flags & skip or flags == pygit2.enums.FileStatus.CURRENT or self._excluded(rel):
                continue
            path = Path(workdir) / rel
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                st = path.stat()
                if st.st_size > self.opts.max_blob_size:
                    yield Skipped(str(path), "too large")
                    continue
                data = path.read_bytes()
            except OSError as exc:
                yield Skipped(str(path), f"unreadable: {exc.strerror or exc}")
                continue
            if is_binary(data):
                yield Skipped(str(path), "binary")
                continue
            meta = file_meta(st)
            yield Chunk(
                data=data,
                provenance=FileProvenance(
                    path=str(path), reader="worktree",
                    owner=meta["owner"], mode=meta["mode"], mtime=meta["mtime"],
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
        out = []
        for f in findings:
            p = f.provenance
            if isinstance(p, GitProvenance) and p.blob in targets:
                person = None
                if p.commit is not None:
                    if p.commit not in people:
                        people[p.commit] = self._author(p.commit)
                    person = people[p.commit]
                p = replace(
                    p,
                    author=person[0] if person else None,
                    date=person[1] if person else None,
                    present_at_head=p.blob in at_head,
                )
                f = replace(f, provenance=p)
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
        tip = self.default_tip()
        if tip is None or not targets:
            return set()
        try:
            return targets & blobs_at(self.path, str(tip.id))
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


def _new_lists(n: int) -> list[IO[bytes]]:
    """n unlinked files for the listed blobs (ids, commits and paths, never content)."""
    return [tempfile.TemporaryFile(prefix="pgsweep-blobs-") for _ in range(n)]


class _RevList:
    """One `git rev-list --objects --in-commit-order --topo-order --reverse` run.

    It prints each commit followed by the objects it is the first to hold, parents first,
    so the enumeration is also the attribution: a separate `git log --raw` replay cost
    rails/rails 8.4 s of git CPU beside this walk's 5 s (docs/performance.md). `spool`
    writes the output to an unlinked file, so the run goes on while another is read.
    """

    def __init__(
        self, git_dir: str, args: Sequence[str], stdin_revs: Sequence[str], spool: bool = False
    ) -> None:
        cmd = git_command(
            git_dir, "rev-list", "--objects", "--in-commit-order", "--topo-order",
            "--reverse", "--missing=print", *args, "--stdin",
        )
        self._spool: IO[bytes] | None = (
            tempfile.TemporaryFile(prefix="pgsweep-revs-") if spool else None  # noqa: SIM115
        )
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env(),
            stdout=self._spool if self._spool is not None else subprocess.PIPE,
        )
        proc = self.proc
        assert proc.stdin is not None and proc.stderr is not None
        self._read = False  # every line read (else the scan stopped early)
        self._errors: list[bytes] = []
        self._drain = threading.Thread(
            target=lambda: self._errors.extend(proc.stderr or ()), daemon=True)
        self._drain.start()
        try:
            proc.stdin.write("".join(f"{r}\n" for r in stdin_revs).encode("ascii"))
            proc.stdin.close()
        except BrokenPipeError:
            pass

    def lines(self) -> Iterator[bytes]:
        if self._spool is None:
            assert self.proc.stdout is not None
            yield from self.proc.stdout
        else:
            self.proc.wait()
            self._spool.seek(0)
            yield from self._spool
        self._read = True

    def finish(self) -> str | None:
        """Stop git if it is still running; why it failed, if it did."""
        stopped = not self._read and self.proc.poll() is None
        if stopped:
            self.proc.kill()  # the scan stopped reading early
        for stream in (self.proc.stdout, self._spool):
            if stream is not None:
                stream.close()
        self.proc.wait()
        self._drain.join()
        if self.proc.returncode == 0 or stopped:
            return None
        detail = next(
            (e.decode("utf-8", "replace").strip() for e in self._errors if e.strip()), "")
        return f"git rev-list failed ({detail or self.proc.returncode})"


def _first_holders(
    lines: Iterable[bytes], missing: list[str], named: frozenset[bytes] = frozenset()
) -> Iterator[tuple[str, bytes, str | None]]:
    """(blob id, path, commit) from `rev-list --objects --in-commit-order` output.

    A commit prints as its id alone, then the trees and blobs it is the first to hold,
    depth first: its root tree (`<id> `), then a tree (`<id> <dir>`) before its new
    entries (`<id> <dir>/…`). A named line that nothing inside it follows is a blob, or a
    tree whose entries were all listed before (a rename, a deletion): those few come back
    too, and the reader skips what is not a blob. Objects that refs name directly (`named`:
    a tag on a blob or a tree) print with the first commit, before its root tree, and
    belong to no commit. `?<id>` lines are missing objects.
    """
    commit: str | None = None
    provided = True  # until the first root tree: objects refs name directly
    held: tuple[bytes, bytes, str | None] | None = None  # the last named line, undecided
    for raw in lines:
        line = raw.rstrip(b"\n")
        oid, sp, name = line.partition(b" ")
        if held is not None:
            if not (sp and name.startswith(held[1] + b"/")):
                yield held[0].decode("ascii"), held[1], held[2]
            held = None
        if not sp:
            if line.startswith(b"?"):
                missing.append(line[1:].strip().decode("ascii", "replace"))
            elif len(line) in (40, 64):
                commit = line.decode("ascii")
            continue
        if len(oid) not in (40, 64):
            continue
        if name:
            held = (oid, name, None if provided else commit)
        elif provided and oid in named:
            yield oid.decode("ascii"), b"", None  # a blob (or tree) a ref names
        else:
            provided = False  # a commit's root tree
    if held is not None:
        yield held[0].decode("ascii"), held[1], held[2]


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
