"""Where a machine keeps credentials: its users' homes (from its own passwd and the usual
folders), the known credential locations in them, and the git repositories below them."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from pgsweep.core.models import Skipped
from pgsweep.sources.confinement import OUT_OF_ROOT, inside, is_dir_within

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
@dataclass(frozen=True)
class Home:
    """One user's home directory under the root."""

    user: str
    path: Path


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
            if last or is_dir_within(base, nxt):
                yield from walk(nxt, i + 1)
            elif os.path.isdir(nxt):
                yield Skipped(str(nxt), f"folder {OUT_OF_ROOT}")
            return
        try:
            names = sorted(os.listdir(cur))
        except FileNotFoundError:
            return
        except OSError as exc:
            yield Skipped(str(cur), f"unreadable directory: {exc.strerror or exc}",
                          incomplete=True)
            return
        for name in names:
            if fnmatch(name, part):
                nxt = cur / name
                if last or is_dir_within(base, nxt):
                    yield from walk(nxt, i + 1)
                elif os.path.isdir(nxt):
                    yield Skipped(str(nxt), f"folder {OUT_OF_ROOT}")

    if is_dir_within(base, base):
        yield from walk(base, 0)


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
