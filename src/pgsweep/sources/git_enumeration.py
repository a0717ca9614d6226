"""Which blobs of a git repository a scan reads: every ref's history (or a range, or what
is new since a revision), less what an earlier scan covered, each blob listed once with the
first commit and path that hold it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pygit2

from pgsweep.core.options import ScanOptions
from pgsweep.sources.blobreader import BlobRef, git_command, git_env
from pgsweep.sources.excludes import Excludes
from pgsweep.sources.git_revlist import WALK_FAILED, RevList, first_holders
from pgsweep.sources.git_tips import (
    broken_refs,
    default_tip,
    list_tips,
    ref_targets,
    tree_blobs,
)
from pgsweep.sources.interface import SourceError

_OID_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")

# From this many objects on, a history is large: two rev-lists walk it at once, and a
# parallel scan shares it out between worker processes (below, a scan takes well under a
# second).
PARALLEL_MIN_OBJECTS = 20_000


class GitEnumeration:
    """The blobs one scan mode selects, in an order git reads fast (history order).

    Modes, from the options: the full history (default); `since` (commits not reachable
    from REV); `commit_range` (A..B). `unreachable` adds every other object in the object
    database. What cannot be listed (a broken ref, a failed walk) goes to `errors`.
    """

    def __init__(
        self, repo: pygit2.Repository, path: Path, opts: ScanOptions, *, empty: bool = False,
        parallel_min_objects: int = PARALLEL_MIN_OBJECTS,
    ) -> None:
        self.repo = repo
        self.path = path
        self.opts = opts
        self.git_dir = str(Path(repo.path).resolve())
        self.parallel_min_objects = parallel_min_objects
        self.errors: list[str] = []
        self._excludes = Excludes(opts.excludes)
        self._seen: set[str] = set()  # blobs listed so far (only --unreachable needs it)
        self._object_count: int | None = None  # see is_large
        self._ref_args: list[str] | None = None  # see _all_refs
        self._default_tip: tuple[str | None] | None = None  # see default_tip
        self._since = self._resolve(opts.since) if opts.since and not empty else None
        self._range = (self._parse_range(opts.commit_range)
                       if opts.commit_range and not empty else None)

    # ------------------------------------------------------------------ size
    def is_large(self) -> bool:
        """Whether the object database holds `parallel_min_objects` or more (counted once:
        the sharing-out and the enumeration both ask)."""
        if self._object_count is None:
            self._object_count = self.object_count()
        return self._object_count >= self.parallel_min_objects

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

    # ------------------------------------------------------------------ revisions
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

    def default_tip(self) -> str | None:
        """The tip of the default branch (`git_tips.default_tip`), asked once."""
        if self._default_tip is None:
            self._default_tip = (default_tip(self.path),)
        return self._default_tip[0]

    def tips(self) -> list[str]:
        """Commits at the tip of every ref (HEAD included) and every stash entry."""
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

    def _exclude_tips(self) -> list[str]:
        """`opts.exclude_tips` that are commits of this repository."""
        return [tip for tip in self.opts.exclude_tips if _OID_RE.match(tip) and tip in self.repo]

    def _all_refs(self) -> list[str]:
        """rev-list arguments for every ref and HEAD (what `--all` names), less the refs
        whose object is missing: git would refuse the whole walk for one of them. Each is
        reported (the scan is then incomplete) and the rest of the history is walked."""
        if self._ref_args is None:
            broken, head_ok = broken_refs(self.path)
            excludes = [f"--exclude={name}" for name in broken]
            self._ref_args = [*excludes, "--all" if head_ok else "--glob=refs/*"]
            try:
                head = self.repo.references.get("HEAD")
            except pygit2.GitError:  # a HEAD file that names nothing git can read
                head = None
            branch = head.target if head is not None else None
            if not head_ok and branch not in broken:  # detached, or not a ref git lists
                broken = ("HEAD", *broken)
            self.errors.extend(
                f"{name}: points to a missing or unreadable object (its history is not "
                "scanned)" for name in broken)
        return self._ref_args

    # ------------------------------------------------------------------ listing
    def _rev_list(
        self, args: Sequence[str], stdin_revs: Sequence[str], missing: list[str], reachable: bool,
        named: frozenset[bytes] = frozenset(),
    ) -> Iterator[BlobRef]:
        """Blobs `git rev-list --objects` lists, once each, with the first commit (parents
        first) and path they appear at."""
        yield from self._listed(RevList(self.git_dir, args, stdin_revs), missing, reachable,
                                named)

    def _listed(
        self, rev_list: RevList, missing: list[str], reachable: bool,
        named: frozenset[bytes] = frozenset(), skip: set[bytes] | None = None,
    ) -> Iterator[BlobRef]:
        """The blobs of one rev-list run not in `skip` (nor listed by an earlier pass)."""
        # rev-list lists each object once; only a later pass (--unreachable) needs to know
        # what this one listed
        seen = self._seen
        track = self.opts.unreachable
        excludes = bool(self.opts.excludes)
        try:
            for oid, raw_path, commit in first_holders(rev_list.lines(), missing, named):
                if oid in seen or (skip is not None and bytes.fromhex(oid) in skip):
                    continue
                if track:
                    seen.add(oid)
                path = raw_path.decode("utf-8", "surrogateescape")
                if excludes and self._excludes.is_excluded(path):
                    continue
                yield BlobRef(oid, path or None, reachable, commit)
        finally:
            error = rev_list.finish()
        if error:
            self.errors.append(error)

    def _iter_history(self, missing: list[str]) -> Iterator[BlobRef]:
        """Every ref's history (and the stash's), less what an earlier scan covered.

        On a large history with a default branch, two rev-lists walk it at once: the
        default branch's history, and every ref's less that (a mirror's pull-request refs
        hold much history of their own). The default branch is listed first, which is an
        order parents come first in (nothing it holds descends from the other refs); a blob
        both list keeps the default branch's commit.

        When the walk fails part way (a corrupt commit or tree), the trees of the tips are
        read as well (`_tip_trees`).
        """
        failed = len(self.errors)
        yield from self._walk_history(missing)
        if any(e.startswith(WALK_FAILED) for e in self.errors[failed:]):
            yield from self._tip_trees()

    def _walk_history(self, missing: list[str]) -> Iterator[BlobRef]:
        # exclude_tips: an incremental rescan skips what an earlier scan covered.
        hidden = [f"^{t}" for t in self._exclude_tips()]
        named = frozenset(t.encode("ascii") for t in ref_targets(self.path))
        tip = self.default_tip()
        if tip is None or not self.is_large():
            yield from self._rev_list(
                self._all_refs(), [*self._stash_commits(), *hidden], missing, True, named)
            return
        others = RevList(
            self.git_dir, self._all_refs(), [*self._stash_commits(), f"^{tip}", *hidden],
            spool=True)
        mainline: set[bytes] = set()  # binary ids: 20 bytes each
        try:
            for ref in self._listed(RevList(self.git_dir, [], [tip, *hidden]), missing, True):
                mainline.add(bytes.fromhex(ref.oid))
                yield ref
            yield from self._listed(others, missing, True, named, skip=mainline)
        finally:
            others.finish()  # a scan stopped early leaves no git running

    def _tip_trees(self) -> Iterator[BlobRef]:
        """After a walk that failed part way (a corrupt commit or tree in the history): the
        blobs each tip's own tree still holds, so what every ref holds now is read. Which
        commit introduced them is not known (`commit` is None); the scan is incomplete."""
        listed: set[str] = set()
        tips = [t for t in (self.default_tip(),) if t is not None]
        for tip in dict.fromkeys([*tips, *self.tips()]):
            try:
                entries = tree_blobs(self.path, tip)
            except SourceError:
                continue  # this tip's own tree is unreadable: reported with the walk
            for oid, path in entries:
                if oid in listed or (self.opts.excludes and self._excludes.is_excluded(path)):
                    continue
                listed.add(oid)
                yield BlobRef(oid, path, True, None)

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
            self.errors.append(f"git cat-file --batch-all-objects failed: {detail[:1]}")
        blobs: list[str] = []
        commits: list[str] = []
        for line in out.stdout.decode("ascii", "replace").splitlines():
            oid, _, kind = line.partition(" ")
            if kind == "blob":
                blobs.append(oid)
            elif kind == "commit":
                commits.append(oid)
        missing: list[str] = []
        yield from self._rev_list(["--not", *self._all_refs()], commits, missing, reachable=False)
        for oid in blobs:
            if oid not in self._seen:
                self._seen.add(oid)
                yield BlobRef(oid, None, reachable=False)

    def iter_blobs(self, missing: list[str]) -> Iterator[BlobRef]:
        """Every blob the scan mode selects, in history order; ids of missing objects go to
        `missing`."""
        self._seen.clear()
        if self._range is not None:
            a, b = self._range
            yield from self._rev_list([], [b, f"^{a}"], missing, reachable=True)
        elif self._since is not None:
            # What the checked-out history adds over REV (git log REV..HEAD), as CI wants:
            # other refs (pull-request refs in a mirror, other local branches) are not
            # "new" here. Without a HEAD, every ref's tip.
            tip = self.default_tip()
            tips = [tip] if tip is not None else self.tips()
            yield from self._rev_list([], [*tips, f"^{self._since}"], missing, True)
        else:
            yield from self._iter_history(missing)
        if self.opts.unreachable:
            yield from self._iter_odb_blobs()
