"""Join environment-style settings (PGUSER/PGPASSWORD, POSTGRES_*) into one line that the
environment signatures read: `PGPASSWORD='…' PGUSER='…' PGHOST='…'`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pgsweep.readers.normalise import shell_quote


@dataclass(frozen=True)
class Assignment:
    """One `KEY=value` setting and the original line it sits on."""

    key: str
    value: str
    line: int


@dataclass(frozen=True)
class Family:
    """A password variable and the variables that give it context."""

    password: str
    user: tuple[str, ...] = ()
    host: tuple[str, ...] = ()
    port: tuple[str, ...] = ()
    database: tuple[str, ...] = ()
    needs_hint: bool = False  # generic names (DB_PASSWORD): only in files that mention postgres


ENV_FAMILIES: tuple[Family, ...] = (
    Family("PGPASSWORD", ("PGUSER",), ("PGHOST", "PGHOSTADDR"), ("PGPORT",),
           ("PGDATABASE",)),
    Family("POSTGRES_PASSWORD", ("POSTGRES_USER",), ("POSTGRES_HOST",),
           ("POSTGRES_PORT",), ("POSTGRES_DB",)),
    Family("POSTGRESQL_PASSWORD", ("POSTGRESQL_USERNAME",), ("POSTGRESQL_HOST",),
           ("POSTGRESQL_PORT_NUMBER", "POSTGRESQL_PORT"), ("POSTGRESQL_DATABASE",)),
    Family("POSTGRESQL_POSTGRES_PASSWORD", (), ("POSTGRESQL_HOST",),
           ("POSTGRESQL_PORT_NUMBER",), ("POSTGRESQL_DATABASE",)),
    Family("POSTGRESQL_REPLICATION_PASSWORD", ("POSTGRESQL_REPLICATION_USER",),
           ("POSTGRESQL_MASTER_HOST", "POSTGRESQL_PRIMARY_HOST"), ("POSTGRESQL_PORT_NUMBER",)),
    Family("DB_PASSWORD", ("DB_USER", "DB_USERNAME"), ("DB_HOST",), ("DB_PORT",),
           ("DB_NAME", "DB_DATABASE"), needs_hint=True),
    Family("DATABASE_PASSWORD", ("DATABASE_USER", "DATABASE_USERNAME"),
           ("DATABASE_HOST",), ("DATABASE_PORT",), ("DATABASE_NAME",), needs_hint=True),
)

_HINT_RE = re.compile(r"(?i)postgres|pgsql|psql|\b5432\b")
_DEFAULT_RE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?-(.*)\}$", re.S)


def has_postgres_hint(text: str) -> bool:
    """The text mentions PostgreSQL (so a generic DB_PASSWORD is likely a Postgres one)."""
    return _HINT_RE.search(text) is not None


def expand_default(value: str) -> str:
    """`${POSTGRES_PASSWORD:-s3cret}` → `s3cret`: a compose/shell default is a real value."""
    m = _DEFAULT_RE.match(value)
    return m.group(1) if m else value


def synthesize(
    assignments: Sequence[Assignment],
    families: Sequence[Family] = ENV_FAMILIES,
    hint: bool = False,
    default_host: str | None = None,
) -> dict[int, str]:
    """The joined line (see the module) keyed by the original line of each password setting
    that has a value."""
    last: dict[str, Assignment] = {}
    for a in assignments:
        last[a.key] = a
    out: dict[int, str] = {}
    for fam in families:
        pw = last.get(fam.password)
        if pw is None or (fam.needs_hint and not hint):
            continue
        password = expand_default(pw.value)
        if not password:
            continue

        def first(keys: tuple[str, ...]) -> str | None:
            for k in keys:
                if k in last and last[k].value:
                    return expand_default(last[k].value)
            return None

        host = first(fam.host) or default_host
        port = first(fam.port)
        database = first(fam.database)
        words = [(fam.password, password)]
        for keys, value in ((fam.user, first(fam.user)), (fam.host, host), (fam.port, port),
                            (fam.database, database)):
            if keys and value:
                words.append((keys[0], value))
        out[pw.line] = " ".join(f"{k}={shell_quote(v)}" for k, v in words)
    return out
