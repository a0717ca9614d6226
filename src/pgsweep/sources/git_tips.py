"""Ref tips of a git repository, read with the git CLI, for incremental rescans."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from pgsweep.sources.interface import SourceError

_BROKEN_REF = re.compile(r"warning: ignoring broken ref (\S+)$")


def git_output(repo: Path, *args: str, stdin: str | None = None,
               warnings: list[str] | None = None) -> str:
    """What `git -C repo ARGS` prints; a failure is a SourceError with git's first line.
    `warnings` receives what git says on stderr when it succeeds (in English)."""
    try:
        done = subprocess.run(
            # a repository's own fsmonitor hook is a command: never run one while reading it
            ["git", "-C", str(repo), "-c", "core.fsmonitor=false", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",  # paths are bytes: an undecodable one stays readable
            check=False,
            env=None if warnings is None else {**os.environ, "LC_ALL": "C"},
        )
    except OSError as exc:
        raise SourceError(f"{repo}: cannot run git ({exc.strerror or exc})") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise SourceError(f"{repo}: git {args[0]}: {first}")
    if warnings is not None:
        warnings.extend(done.stderr.splitlines())
    return done.stdout


def list_tips(repo: Path) -> tuple[str, ...]:
    """Commit ids at every ref and HEAD (annotated tags peeled), sorted and unique."""
    out = git_output(
        repo,
        "for-each-ref",
        "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname)",
    )
    tips: set[str] = set()
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["commit"]:
            tips.add(parts[1])
        elif len(parts) == 4 and parts[2] == "commit":
            tips.add(parts[3])
    try:
        head = git_output(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}").strip()
    except SourceError:
        head = ""  # unborn HEAD
    if head:
        tips.add(head)
    return tuple(sorted(tips))


def ref_targets(repo: Path) -> frozenset[str]:
    """Every object a ref names, and what annotated tags peel to (`git show-ref -d`)."""
    try:
        out = git_output(repo, "show-ref", "-d")
    except SourceError:  # no refs at all (git exits 1)
        return frozenset()
    return frozenset(line.split(" ", 1)[0] for line in out.splitlines() if line)


def present_commits(repo: Path, commits: Iterable[str]) -> tuple[str, ...]:
    """Those of `commits` that still exist in the repository as commits."""
    wanted = sorted(set(commits))
    if not wanted:
        return ()
    out = git_output(repo, "cat-file", "--batch-check", stdin="\n".join(wanted) + "\n")
    present = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == "commit":
            present.append(parts[0])
    return tuple(present)


DEFAULT_BRANCHES = ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/HEAD")


def default_tip(repo: Path) -> str | None:
    """The commit at HEAD, else at main, master or origin's HEAD (as GitSource decides)."""
    for rev in ("HEAD", *DEFAULT_BRANCHES):
        try:
            out = git_output(repo, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
            return out.strip() or None
        except SourceError:
            continue
    return None


def blobs_at(repo: Path, commit: str) -> set[str]:
    """Ids of every blob in the commit's tree (submodules and trees left out)."""
    return {oid for oid, _path in tree_blobs(repo, commit)}


def tree_blobs(repo: Path, commit: str) -> list[tuple[str, str]]:
    """(id, path) of every blob in the commit's tree (submodules and trees left out)."""
    out = git_output(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    blobs = []
    for entry in out.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs.append((parts[2], path))
    return blobs


def broken_refs(repo: Path) -> tuple[tuple[str, ...], bool]:
    """Refs whose object is missing from the repository, and whether HEAD's is present
    (an unborn HEAD counts as present: it names nothing). git refuses to walk `--all`
    when one ref is broken; the caller walks the others and reports these."""
    said: list[str] = []
    try:
        out = git_output(repo, "for-each-ref", "--format=%(objectname) %(refname)",
                         warnings=said)
    except SourceError:
        return (), True
    # a ref whose file holds no object id at all: for-each-ref leaves it out with a warning,
    # and `rev-list --all` dies on it
    unreadable = tuple(m.group(1) for m in map(_BROKEN_REF.match, said) if m)
    names: list[str] = []
    oids: list[str] = []
    for line in out.splitlines():
        oid, sp, name = line.partition(" ")
        if sp:
            oids.append(oid)
            names.append(name)
    try:
        head: str | None = git_output(repo, "rev-parse", "-q", "--verify", "HEAD").strip() or None
    except SourceError:
        head = None  # unborn
    asked = [*oids, *([head] if head else [])]
    if not asked:
        return unreadable, True
    try:
        check = git_output(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                     stdin="\n".join(asked) + "\n")
    except SourceError:
        return unreadable, True
    present = {line.split(" ", 1)[0] for line in check.splitlines()
               if len(line.split()) == 2 and line.split()[1] != "missing"}
    broken = tuple(n for n, oid in zip(names, oids, strict=True) if oid not in present)
    return (*unreadable, *broken), head is None or head in present
