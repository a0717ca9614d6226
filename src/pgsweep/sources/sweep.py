"""`sweep`: every user's known credential locations (and repositories) under a root."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pgsweep.core.models import (
    Chunk,
    FileProvenance,
    Finding,
    GitProvenance,
    Skipped,
    UserSummary,
    provenance_path,
)
from pgsweep.core.options import ScanOptions
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.interface import Reader
from pgsweep.readers.registry import BY_NAME
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.confinement import OUT_OF_ROOT, repository_escape
from pgsweep.sources.files import is_read_failure, is_within, iter_path_items, symlink_skip
from pgsweep.sources.git import GitSource
from pgsweep.sources.homes import (
    HOME_LOCATIONS,
    SYSTEM_LOCATIONS,
    Home,
    expand,
    find_homes,
    iter_repositories,
    read_passwd,
)
from pgsweep.sources.interface import Source, SourceError

SYSTEM_USER = "(system)"

_PGPASSFILE_RE = re.compile(r"""PGPASSFILE\s*=\s*["']?([^\s"';]+)""")


@dataclass
class _Tally:
    files: set[str] = field(default_factory=set)
    skipped: int = 0
    encrypted: int = 0
    risk: set[str] = field(default_factory=set)
    repos: int = 0


class SweepSource:
    """Reads each home's known locations, the system files, and (optionally) the history
    of every git repository under the homes; read-only, never leaving the root."""

    def __init__(self, root: Path, opts: ScanOptions, repos: bool = False,
                 on_home: Callable[[Home], None] | None = None,
                 processes: Source | None = None, homes: bool = True) -> None:
        if not root.is_dir():
            raise SourceError(f"{root}: not a directory")
        self.root = root
        self.opts = opts
        self.repos = repos
        self.on_home = on_home
        self.limits = ArchiveLimits(max_member_size=opts.max_blob_size)
        owners, passwd_homes = read_passwd(root)
        self.owners = owners or None
        self.homes, self._escapes = find_homes(root, passwd_homes)
        self._tally: dict[str, _Tally] = {h.user: _Tally() for h in self.homes}
        self._tally[SYSTEM_USER] = _Tally()
        self._git_sources: dict[str, Source] = {}
        self._repo_user: dict[str, str] = {}
        # The live processes (`--processes`), and whether the homes and system files are
        # read at all (`--no-homes` reads only the processes).
        self.processes = processes
        self.read_homes = homes
        if not homes:
            self.homes = []
            self._tally = {SYSTEM_USER: _Tally()}

    # ----------------------------------------------------------------- reading

    def use_json_gate(self, gate: JsonGate) -> None:
        self.limits = replace(self.limits, json_gate=gate)

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        told: set[Skipped] = set()  # several location patterns can meet the same folder
        for item in self._iter_all():
            if isinstance(item, Skipped):
                if item in told:
                    continue
                told.add(item)
            yield item

    def _iter_all(self) -> Iterator[Chunk | Skipped]:
        if self.read_homes:
            yield from self._iter_machine_files()
        if self.processes is not None:
            for item in self.processes.iter_items():
                user = item.provenance.user if isinstance(item, Chunk) else None
                self._count(user, item)
                yield item

    def _iter_machine_files(self) -> Iterator[Chunk | Skipped]:
        seen: set[str] = set()
        for skip in self._escapes:
            self._count(None, skip)
            yield skip
        for home in self.homes:
            if self.on_home is not None:
                self.on_home(home)
            for item in self._iter_home(home, seen):
                self._count(home.user, item)
                yield item
        for pattern in SYSTEM_LOCATIONS:
            for path in expand(self.root, pattern):
                if isinstance(path, Skipped):
                    self._count(None, path)
                    yield path
                    continue
                # A system file inside a home (the postgres data directory) is that user's.
                user = self._home_user(path)
                for item in self._iter_file(path, user, seen, None):
                    self._count(user, item)
                    yield item
        if self.repos:
            for home in self.homes:
                for item in self._iter_repos(home):
                    self._count(home.user, item)
                    yield item

    def _home_user(self, path: Path) -> str | None:
        for home in self.homes:
            if home.path in path.parents:
                return home.user
        return None

    def _iter_home(self, home: Home, seen: set[str]) -> Iterator[Chunk | Skipped]:
        yield from self._iter_locations(home.path, HOME_LOCATIONS, home.user, seen)
        for path in self._pgpassfiles(home):
            if isinstance(path, Skipped):
                yield path
            else:
                yield from self._iter_file(path, home.user, seen, BY_NAME["pgpass"])

    def _iter_locations(self, base: Path, patterns: Sequence[str], user: str | None,
                        seen: set[str]) -> Iterator[Chunk | Skipped]:
        for pattern in patterns:
            for path in expand(base, pattern):
                if isinstance(path, Skipped):
                    yield path
                else:
                    yield from self._iter_file(path, user, seen, None)

    def _iter_file(self, path: Path, user: str | None, seen: set[str],
                   reader: Reader | None) -> Iterator[Chunk | Skipped]:
        real = path
        if path.is_symlink():
            skip = symlink_skip(self.root, path)
            if skip is not None:
                yield skip
                return
            real = Path(os.path.realpath(path))
        elif not is_within(self.root, path):  # a folder on the way leads out
            yield Skipped(str(path), OUT_OF_ROOT)
            return
        key = os.path.realpath(path)
        if key in seen:
            return
        seen.add(key)
        read = True
        for item in iter_path_items(real, self.limits, user=user, owners=self.owners,
                                    reader=reader, shown=path):
            if isinstance(item, Skipped) and is_read_failure(item.reason):
                read = False
            yield item
        if read:
            self._tally.setdefault(user or SYSTEM_USER, _Tally()).files.add(str(path))

    def _pgpassfiles(self, home: Home) -> list[Path | Skipped]:
        """Files named by `PGPASSFILE=` in the user's shell start-up files (a skip record
        for one that leads out of the root)."""
        out: list[Path | Skipped] = []
        for rc in (".bashrc", ".bash_profile", ".profile", ".zshrc", ".zshenv", ".zprofile",
                   ".config/fish/config.fish"):
            p = home.path / rc
            try:
                if p.is_symlink() or not p.is_file() or p.stat().st_size > 1 << 20:
                    continue
                if not is_within(self.root, p):
                    continue  # read (and reported) as a location, if at all
                text = p.read_text("utf-8", "replace")
            except OSError:
                continue
            for m in _PGPASSFILE_RE.finditer(text):
                value = m.group(1)
                for var in ("${HOME}", "$HOME", "~"):
                    if value.startswith(var):
                        value = str(home.path) + value[len(var):]
                        break
                else:
                    if value.startswith("/"):
                        value = str(self.root / value.lstrip("/"))
                    elif "$" in value:
                        continue
                    else:
                        value = str(home.path / value)
                candidate = Path(value)
                if not os.path.lexists(candidate):
                    continue
                if is_within(self.root, candidate):
                    out.append(candidate)
                else:
                    out.append(Skipped(str(candidate), f"PGPASSFILE in {p} {OUT_OF_ROOT}"))
        return out

    def _iter_repos(self, home: Home) -> Iterator[Chunk | Skipped]:
        for repo in iter_repositories(home.path):
            self._tally[home.user].repos += 1
            # keyed as its findings name their repository (the absolute path)
            self._repo_user[str(repo.resolve())] = home.user
            escape = repository_escape(self.root, repo)
            if escape is not None:
                yield Skipped(str(repo), f"git: history not scanned: {escape}")
                continue
            try:
                source: Source = GitSource(repo, replace(self.opts, path=str(repo)))
            except Exception as exc:  # noqa: BLE001 - one broken repository must not end the sweep
                # a repository found and not read: the sweep cannot be called clean
                yield Skipped(str(repo), f"git: history not scanned ({type(exc).__name__})",
                              incomplete=True)
                continue
            self._git_sources[str(repo.resolve())] = source
            try:
                yield from source.iter_items()
            except Exception as exc:  # noqa: BLE001 - what was read so far is kept
                yield Skipped(str(repo), f"git: history not fully scanned ({type(exc).__name__})",
                              incomplete=True)

    def _count(self, user: str | None, item: Chunk | Skipped) -> None:
        tally = self._tally.setdefault(user or SYSTEM_USER, _Tally())
        if isinstance(item, Skipped):
            tally.skipped += 1
            if any(m in item.reason for m in ("encrypted saved password present",
                                               "not decryptable")):
                tally.encrypted += 1
            return
        p = item.provenance
        for flag in (p.risk_flags if isinstance(p, FileProvenance) else None) or ():
            tally.risk.add(f"{provenance_path(p)}: {flag}")

    # ----------------------------------------------------------------- after the scan
    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        by_repo: dict[str, list[Finding]] = {}
        out: list[Finding] = []
        for f in findings:
            if isinstance(f.provenance, GitProvenance):
                by_repo.setdefault(f.provenance.repo, []).append(f)
            else:
                out.append(f)
        for repo, group in by_repo.items():
            source = self._git_sources.get(repo) or _only(self._git_sources)
            attributed = list(source.attribute(group)) if source is not None else group
            for f in attributed:
                user = self.user_of(f)
                if user is not None and isinstance(f.provenance, GitProvenance):
                    f = replace(f, provenance=replace(f.provenance, user=user))
                out.append(f)
        return out

    def user_of(self, f: Finding) -> str | None:
        """The user a finding belongs to: its provenance's user, else the home holding it."""
        user = f.provenance.user
        if user:
            return str(user)
        path = f.provenance.repo if isinstance(f.provenance, GitProvenance) else f.provenance.path
        if path in self._repo_user:
            return self._repo_user[path]
        for home in self.homes:
            if path == str(home.path) or path.startswith(str(home.path).rstrip("/") + "/"):
                return home.user
        return None

    def summaries(self, findings: Sequence[Finding]) -> tuple[UserSummary, ...]:
        """The per-user table of a sweep (homes with nothing found included)."""
        found: dict[str, list[Finding]] = {}
        for f in findings:
            found.setdefault(self.user_of(f) or SYSTEM_USER, []).append(f)
        homes = {h.user: str(h.path) for h in self.homes}
        out = []
        for user, tally in self._tally.items():
            mine = found.get(user, [])
            if user == SYSTEM_USER and not (tally.files or tally.skipped or mine):
                continue
            out.append(UserSummary(
                user=user,
                home=homes.get(user, str(self.root)),
                files=len(tally.files),
                skipped=tally.skipped,
                findings=len(mine),
                credentials=len({f.credential for f in mine}),
                encrypted_present=tally.encrypted,
                risk_flags=tuple(sorted(tally.risk)),
                repos=tally.repos,
            ))
        return tuple(out)


def _only(sources: dict[str, Source]) -> Source | None:
    return next(iter(sources.values())) if len(sources) == 1 else None

