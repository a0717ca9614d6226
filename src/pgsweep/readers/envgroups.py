"""Join environment-style settings (PGUSER/PGPASSWORD, POSTGRES_*, helm auth.*) into one line
that the signature of their own form reads: `PGPASSWORD='…' PGUSER='…' PGHOST='…'` for the
environment families, a URI for the helm and Secret key families."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pgsweep.readers.normalise import make_uri, shell_quote


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
    default_user: str | None = None
    host: tuple[str, ...] = ()
    port: tuple[str, ...] = ()
    database: tuple[str, ...] = ()
    needs_hint: bool = False  # generic names (DB_PASSWORD): only in files that mention postgres
    inline: bool = True  # joined as `KEY='…'` words read by the env signatures, else a URI


ENV_FAMILIES: tuple[Family, ...] = (
    Family("PGPASSWORD", ("PGUSER",), None, ("PGHOST", "PGHOSTADDR"), ("PGPORT",),
           ("PGDATABASE",)),
    Family("POSTGRES_PASSWORD", ("POSTGRES_USER",), "postgres", ("POSTGRES_HOST",),
           ("POSTGRES_PORT",), ("POSTGRES_DB",)),
    Family("POSTGRESQL_PASSWORD", ("POSTGRESQL_USERNAME",), None, ("POSTGRESQL_HOST",),
           ("POSTGRESQL_PORT_NUMBER", "POSTGRESQL_PORT"), ("POSTGRESQL_DATABASE",)),
    Family("POSTGRESQL_POSTGRES_PASSWORD", (), "postgres", ("POSTGRESQL_HOST",),
           ("POSTGRESQL_PORT_NUMBER",), ("POSTGRESQL_DATABASE",)),
    Family("POSTGRESQL_REPLICATION_PASSWORD", ("POSTGRESQL_REPLICATION_USER",), None,
           ("POSTGRESQL_MASTER_HOST", "POSTGRESQL_PRIMARY_HOST"), ("POSTGRESQL_PORT_NUMBER",)),
    Family("DB_PASSWORD", ("DB_USER", "DB_USERNAME"), None, ("DB_HOST",), ("DB_PORT",),
           ("DB_NAME", "DB_DATABASE"), needs_hint=True),
    Family("DATABASE_PASSWORD", ("DATABASE_USER", "DATABASE_USERNAME"), None,
           ("DATABASE_HOST",), ("DATABASE_PORT",), ("DATABASE_NAME",), needs_hint=True),
)

# Kubernetes Secret `stringData` keys (CloudNativePG, Crunchy, hand-written secrets).
SECRET_FAMILIES: tuple[Family, ...] = (
    Family("password", ("username", "user"), None, ("host",), ("port",), ("dbname", "database"),
           needs_hint=True, inline=False),
    Family("postgres-password", (), "postgres", ("host",), ("port",), ("dbname", "database"),
           inline=False),
    *ENV_FAMILIES,
)

# bitnami/postgresql chart values: `auth:` (also under `postgresql:` / `global.postgresql:`).
HELM_FAMILIES: tuple[Family, ...] = (
    Family("postgresPassword", (), "postgres", (), (), ("database",), inline=False),
    Family("password", ("username",), None, (), (), ("database",), inline=False),
    Family("replicationPassword", ("replicationUsername",), "repl_user", inline=False),
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

        user = first(fam.user) or fam.default_user
        host = first(fam.host) or default_host
        port = first(fam.port)
        database = first(fam.database)
        if fam.inline:
            words = [(fam.password, password)]
            for keys, value in ((fam.user, first(fam.user)), (fam.host, host), (fam.port, port),
                                (fam.database, database)):
                if keys and value:
                    words.append((keys[0], value))
            out[pw.line] = " ".join(f"{k}={shell_quote(v)}" for k, v in words)
            continue
        hosts = host.split(",") if host else []
        ports = port.split(",") if port else []
        out[pw.line] = make_uri(password, user, hosts, ports, database)
    return out
