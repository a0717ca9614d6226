"""`sweep`: every user's known credential locations (and repositories) under a root."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path

from pgsweep.core.models import (
    Chunk,
    Finding,
    GitProvenance,
    Skipped,
    UserSummary,
    provenance_path,
)
from pgsweep.core.options import ScanOptions
from pgsweep.readers.interface import Reader
from pgsweep.readers.registry import BY_NAME
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import is_read_failure, is_within, iter_path_items, symlink_skip
from pgsweep.sources.interface import Source, SourceError

SYSTEM_USER = "(system)"

# Where credentials live in a home. `*` matches one path segment.
HOME_HISTORY = (
    ".bash_history", ".zsh_history", ".zhistory", ".histfile", ".zsh_sessions/*.history",
    ".local/share/fish/*_history", ".psql_history*", ".python_history", ".node_repl_history",
    ".sqlite_history", ".mysql_history",
    ".local/share/powershell/PSReadLine/*_history.txt",
    "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/*_history.txt",
    "AppData/Roaming/postgresql/psql_history",
)
HOME_CONFIG = (
    ".pgpass", "AppData/Roaming/postgresql/pgpass.conf",
    ".pg_service.conf", "AppData/Roaming/postgresql/.pg_service.conf",
    ".psqlrc", ".psqlrc-*", ".env", ".env.*",
    ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv",
    ".config/fish/config.fish", ".config/fish/conf.d/*.fish",
    ".odbc.ini", ".config/systemd/user/*.service", ".config/systemd/user/*.service.d/*.conf",
)
_DBEAVER_DIRS = (
    ".local/share/DBeaverData/workspace6/*/.dbeaver",
    "snap/dbeaver-ce/current/.local/share/DBeaverData/workspace6/*/.dbeaver",
    "Library/DBeaverData/workspace6/*/.dbeaver",
    "AppData/Roaming/DBeaverData/workspace6/*/.dbeaver",
)
_CODE_DIRS = (
    ".config/Code/User", ".config/Code - Insiders/User", ".config/VSCodium/User",
    "Library/Application Support/Code/User", "AppData/Roaming/Code/User",
)
HOME_DESKTOP = (
    *(f"{d}/{f}" for d in _DBEAVER_DIRS for f in ("data-sources*.json",
                                                   "credentials-config.json")),
    ".pgadmin/pgadmin4.db", "AppData/Roaming/pgAdmin/pgadmin4.db",
    *(f"{d}/settings.json" for d in _CODE_DIRS),
)
HOME_LOCATIONS = HOME_HISTORY + HOME_CONFIG + HOME_DESKTOP

SYSTEM_LOCATIONS = (
    "etc/pg_service.conf", "etc/postgresql-common/pg_service.conf",
    "etc/postgresql*/pg_service.conf", "etc/postgresql*/*/pg_service.conf",
    "etc/postgresql*/*/*/pg_service.conf", "etc/sysconfig/pgsql/pg_service.conf",
    "etc/postgresql/*/*/postgresql.conf", "etc/postgresql/*/*/postgresql.auto.conf",
    "var/lib/postgresql/*/*/postgresql.auto.conf", "var/lib/postgresql/*/*/recovery.conf",
    "var/lib/pgsql/data/postgresql.auto.conf", "var/lib/pgsql/*/data/postgresql.auto.conf",
    "var/lib/pgadmin/pgadmin4.db", "etc/environment",
    # The PostgreSQL ecosystem: poolers, HA managers, ODBC, services and scheduled jobs.
    "etc/pgbouncer/userlist.txt", "etc/pgbouncer/pgbouncer.ini",
    "etc/pgpool2/pool_passwd", "etc/pgpool2/pcp.conf", "etc/pgpool-II/pool_passwd",
    "etc/pgpool-II/pcp.conf", "etc/patroni.yml", "etc/patroni/*.yml", "etc/patroni/*.yaml",
    "etc/repmgr.conf", "etc/repmgr/*/repmgr.conf", "etc/postgresql/*/*/repmgr.conf",
    "var/lib/pgsql/*/data/recovery.conf", "etc/odbc.ini", "etc/systemd/system/*.service",
    "etc/systemd/system/*.service.d/*.conf",
    "lib/systemd/system/*.service", "usr/lib/systemd/system/*.service",
    "etc/crontab", "etc/cron.d/*", "var/spool/cron/crontabs/*",
)

# Homes by convention, beside the ones /etc/passwd names.
_HOME_GLOBS = ("home/*", "root", "var/lib/postgresql", "var/lib/pgsql", "Users/*", "var/root")
_FIXED_HOME_USERS = {"var/lib/postgresql": "postgres", "var/lib/pgsql": "postgres",
                     "var/root": "root"}
_NOT_HOMES = {"Shared", "Public", "Default", "Default User", "All Users", "desktop.ini",
              "lost+found", ".localized", "Guest"}
_SYSTEM_HOME_PREFIXES = ("/usr", "/bin", "/sbin", "/dev", "/proc", "/sys", "/run", "/var/run",
                         "/var/spool", "/var/mail", "/var/cache", "/var/backups", "/var/empty",
                         "/nonexistent", "/var/lib/nobody")
# Skipped while looking for repositories: big, and never where someone keeps a project.
_REPO_PRUNE = {"node_modules", ".cache", "Library", "AppData", "snap", ".npm", ".cargo",
               ".rustup", ".venv", "venv", "site-packages", ".local", ".vscode", ".m2",
               ".gradle", "go", ".Trash", "__pycache__"}
_PGPASSFILE_RE = re.compile(r"""PGPASSFILE\s*=\s*["']?([^\s"';]+)""")


@dataclass(frozen=True)
class Home:
    """One user's home directory under the root."""

    user: str
    path: Path


@dataclass
class _Tally:
    files: set[str] = field(default_factory=set)
    skipped: int = 0
    encrypted: int = 0
    risk: set[str] = field(default_factory=set)
    repos: int = 0


OUT_OF_ROOT = "leads out of the root (not read)"


def inside(root: Path, path: Path) -> Path | None:
    """`path` with every symlink and `..` resolved, spelled under `root`, when it stays
    inside the root; None when it leads out."""
    try:
        real = os.path.realpath(path)
        base = os.path.realpath(root)
    except (OSError, ValueError):
        return None
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return root / os.path.relpath(real, base)


def read_passwd(root: Path) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """uid → name, and (name, home) pairs, from the root's own /etc/passwd."""
    owners: dict[int, str] = {}
    homes: list[tuple[str, str]] = []
    path = root / "etc" / "passwd"
    try:
        if path.is_symlink() or not path.is_file() or inside(root, path) is None:
            return owners, homes
        text = path.read_text("utf-8", "replace")
    except OSError:
        return owners, homes
    for line in text.splitlines()[:100_000]:
        parts = line.split(":")
        if len(parts) >= 6 and parts[2].isdigit():
            owners.setdefault(int(parts[2]), parts[0])
            homes.append((parts[0], parts[5]))
    return owners, homes


def find_homes(
    root: Path, passwd_homes: Sequence[tuple[str, str]] = ()
) -> tuple[list[Home], list[Skipped]]:
    """Every home under the root (Linux, macOS and Windows conventions and /etc/passwd),
    and a skip record for each one that leads out of the root (`..`, a symlink)."""
    found: dict[str, Home] = {}
    escapes: dict[str, Skipped] = {}

    def add(user: str, path: Path) -> None:
        real = inside(root, path)
        if real is None:
            if os.path.isdir(path):  # something would be read out there: say so
                escapes.setdefault(str(path), Skipped(f"{path} (home of {user})",
                                                      f"home {OUT_OF_ROOT}"))
        elif real.is_dir():
            found.setdefault(str(real), Home(user, real))  # passwd names first

    for name, home in passwd_homes:
        if not home.startswith("/") or home == "/" or home.startswith(_SYSTEM_HOME_PREFIXES):
            continue
        add(name, root / home.lstrip("/"))
    for pattern in _HOME_GLOBS:
        for p in expand(root, pattern):
            if isinstance(p, Skipped):
                escapes.setdefault(p.where, p)
            elif p.name not in _NOT_HOMES:
                add(_FIXED_HOME_USERS.get(pattern, p.name), p)
    homes = sorted(found.values(), key=lambda h: (h.user, str(h.path)))
    return homes, list(escapes.values())


def expand(base: Path, pattern: str) -> Iterator[Path | Skipped]:
    """Paths under `base` matching `pattern` (`*` within one segment), without following
    a directory symlink that leads out of `base`; unreadable directories become skips."""
    parts = pattern.split("/")

    def walk(cur: Path, i: int) -> Iterator[Path | Skipped]:
        if i == len(parts):
            yield cur
            return
        part = parts[i]
        last = i == len(parts) - 1
        if not any(c in part for c in "*?["):
            nxt = cur / part
            if not os.path.lexists(nxt):
                return
            if last or _is_dir_within(base, nxt):
                yield from walk(nxt, i + 1)
            elif os.path.isdir(nxt):
                yield Skipped(str(nxt), f"folder {OUT_OF_ROOT}")
            return
        try:
            names = sorted(os.listdir(cur))
        except FileNotFoundError:
            return
        except OSError as exc:
            yield Skipped(str(cur), f"unreadable directory: {exc.strerror or exc}")
            return
        for name in names:
            if fnmatch(name, part):
                nxt = cur / name
                if last or _is_dir_within(base, nxt):
                    yield from walk(nxt, i + 1)
                elif os.path.isdir(nxt):
                    yield Skipped(str(nxt), f"folder {OUT_OF_ROOT}")

    if _is_dir_within(base, base):
        yield from walk(base, 0)


def _is_dir_within(root: Path, path: Path) -> bool:
    """A folder that is `root` or inside it once symlinks and `..` are resolved."""
    return is_within(root, path) and path.is_dir()


def iter_repositories(home: Path, max_depth: int = 6, limit: int = 500) -> Iterator[Path]:
    """Git working trees under a home (not descending into one once found)."""
    count = 0
    stack = [(home, 0)]
    while stack:
        cur, depth = stack.pop()
        try:
            entries = sorted(os.scandir(cur), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        if any(e.name == ".git" for e in entries):
            yield cur
            count += 1
            if count >= limit:
                return
            continue
        if depth >= max_depth:
            continue
        for e in entries:
            if e.name in _REPO_PRUNE or e.is_symlink():
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append((Path(e.path), depth + 1))
            except OSError:
                continue


def repository_escape(root: Path, repo: Path) -> str | None:
    """Why git would read outside `root` for the repository at `repo` (None: it would
    not): its `.git` (a symlink, or a `gitdir:` file) leading out, a linked worktree's
    common folder, object stores borrowed through `alternates`, a symlink among the git
    folder's own files, or a config file including one from outside."""
    dot = repo / ".git"
    if inside(root, dot) is None:
        return f".git {OUT_OF_ROOT}"
    git_dir = dot
    if dot.is_file():
        target = _pointer(dot, "gitdir:")
        if target is None:
            return None  # not a repository git can open: GitSource says so
        git_dir = dot.parent / target
        if inside(root, git_dir) is None:
            return f".git file names a git folder that {OUT_OF_ROOT}"
    dirs = [git_dir]
    common = _pointer(git_dir / "commondir", "")
    if common is not None:
        dirs.append(git_dir / common)
    for d in dirs:
        if inside(root, d) is None:
            return f"common git folder {OUT_OF_ROOT}"
        for sub in (d, d / "objects", d / "objects" / "pack", d / "objects" / "info"):
            try:
                entries = list(os.scandir(sub))
            except OSError:
                continue
            for e in entries:
                if e.is_symlink() and inside(root, Path(e.path)) is None:
                    return f"a file of the git folder {OUT_OF_ROOT}"
        for refs_dir, _, files in os.walk(d / "refs"):
            for name in files:
                if inside(root, Path(refs_dir) / name) is None:
                    return f"a ref file {OUT_OF_ROOT}"
        objects = d / "objects"
        for line in _lines(objects / "info" / "alternates"):
            if line and not line.startswith("#") and inside(root, objects / line) is None:
                return f"alternates name an object folder that {OUT_OF_ROOT}"
        for line in _config_includes(d / "config"):
            if line.startswith("~") or inside(root, d / line) is None:
                return f"git config includes a file that {OUT_OF_ROOT}"
    return None


_INCLUDE_RE = re.compile(r"^\s*path\s*=\s*(.+?)\s*$", re.IGNORECASE)


def _lines(path: Path, limit: int = 1 << 16) -> list[str]:
    """The lines of a small text file (none when it is missing, odd or large)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limit:
            return []
        return [ln.strip() for ln in path.read_text("utf-8", "replace").splitlines()]
    except OSError:
        return []


def _pointer(path: Path, prefix: str) -> str | None:
    """The path a one-line pointer file (`.git`: `gitdir: X`; `commondir`: `X`) names."""
    for line in _lines(path)[:1]:
        if line.startswith(prefix) and line[len(prefix):].strip():
            return line[len(prefix):].strip()
    return None


def _config_includes(config: Path) -> list[str]:
    """`path =` values of a git config's `[include]` and `[includeIf …]` sections."""
    out: list[str] = []
    section = ""
    for line in _lines(config):
        if line.startswith("["):
            section = line.lower()
        elif section.startswith("[include"):
            m = _INCLUDE_RE.match(line)
            if m:
                out.append(m.group(1).strip('"'))
    return out


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
                user = getattr(item.provenance, "user", None) if isinstance(item, Chunk) else None
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
            self._repo_user[str(repo)] = home.user
            escape = repository_escape(self.root, repo)
            if escape is not None:
                yield Skipped(str(repo), f"git: history not scanned: {escape}")
                continue
            try:
                git_source = importlib.import_module("pgsweep.sources.git").GitSource
            except (ImportError, AttributeError):
                yield Skipped(str(repo), "git: history not scanned (git source unavailable)")
                continue
            try:
                source: Source = git_source(repo, replace(self.opts, path=str(repo)))
            except Exception as exc:  # noqa: BLE001 - one broken repository must not end the sweep
                yield Skipped(str(repo), f"git: history not scanned ({type(exc).__name__})")
                continue
            self._git_sources[str(repo)] = source
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
        for flag in getattr(p, "risk_flags", None) or ():
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
        user = getattr(f.provenance, "user", None)
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

