"""Build a demo git repository with leaks planted over several commits and branches."""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

from pgsweep.core.errors import PgsweepError

DANA = ("Dana Whitfield", "dana@acme-corp.net")
SAM = ("Sam Okafor", "sam@acme-corp.net")
LEE = ("Lee Marsh", "lee@acme-corp.net")


class DemoError(PgsweepError):
    """The demo repository could not be built."""


@dataclass(frozen=True)
class Planted:
    """One leak the demo planted, and where a scan must report it."""

    form: str  # the signature family that detects it: uri, env, dsn, pgpass, sql
    path: str
    line: int
    secret: str
    user: str
    host: str
    note: str  # where in history it lives
    at_head: bool  # still in the tip of main


def make_password(n: int = 18) -> str:
    """Generated per run: the demo never ships a fixed secret."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(n - 2))
    return f"{body[:6]}-{body[6:12]}_{body[12:]}"


class _Git:
    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, *args: str, who: tuple[str, str] = DANA, date: str | None = None) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1],
            "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1],
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        cmd = ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
               "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main", *args]
        try:
            out = subprocess.run(
                cmd, cwd=self.root, env=env, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise DemoError(f"cannot run git: {exc.strerror or exc}") from None
        if out.returncode != 0:
            detail = (out.stderr.strip().splitlines() or ["failed"])[-1]
            raise DemoError(f"git {args[0]}: {detail}")
        return out.stdout.strip()


def _line_of(text: str, secret: str) -> int:
    return text[: text.index(secret)].count("\n") + 1


def build_demo(directory: Path) -> list[Planted]:
    """Create the repository at `directory` (which must not exist or be empty)."""
    if directory.exists() and any(directory.iterdir()):
        raise DemoError(f"{directory}: exists and is not empty")
    if shutil.which("git") is None:
        raise DemoError("git is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    git = _Git(directory)
    git("init", "-q")
    planted: list[Planted] = []

    def write(path: str, text: str) -> None:
        p = directory / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def commit(message: str, who: tuple[str, str], date: str) -> None:
        git("add", "-A")
        git("commit", "-q", "-m", message, who=who, date=date)

    def plant(form: str, path: str, text: str, secret: str, user: str, host: str,
              note: str, at_head: bool) -> None:
        write(path, text)
        planted.append(
            Planted(form, path, _line_of(text, secret), secret, user, host, note, at_head)
        )

    # 1. Skeleton, with placeholders that must not be reported.
    write("README.md", dedent("""\
        # acme-orders

        Order service. Local development:

            psql "postgresql://app:changeme@localhost:5432/orders"
        """))
    write(".env.example", dedent("""\
        # copy to .env
        DATABASE_URL=postgres://user:password@localhost:5432/mydb
        REPLICA_URL=postgresql://app:${DB_PASSWORD}@replica.acme-corp.net/orders
        """))
    write("app/__init__.py", '"""Order service."""\n')
    commit("Initial project skeleton", DANA, "2024-03-04T09:12:00+01:00")

    # 2. Production settings with a URI.
    pw, host = make_password(), "orders-db.prod.acme-corp.net"
    plant("uri", "config/settings.py", dedent(f"""\
        import os

        DEBUG = False

        DATABASE_URL = os.environ.get(
            "DATABASE_URL",
            "postgresql://orders:{pw}@{host}:5432/orders?sslmode=require",
        )
        """), pw, "orders", host, "on main", at_head=True)
    commit("Add production settings", DANA, "2024-03-11T16:40:00+01:00")

    # 3. A CI job with PGPASSWORD.
    pw, host = make_password(), "pg-staging.acme-corp.net"
    plant("env", ".github/workflows/ci.yml", dedent(f"""\
        name: ci
        on: [push]
        jobs:
          migrate:
            runs-on: ubuntu-latest
            env:
              PGHOST: {host}
              PGUSER: migrator
              PGPASSWORD: "{pw}"
            steps:
              - uses: actions/checkout@v4
              - run: psql -f migrations/0001.sql
        """), pw, "migrator", host, "CI workflow on main", at_head=True)
    commit("CI: run migrations against staging", SAM, "2024-04-02T11:05:00+02:00")

    # 4. A migration that sets a role's password.
    pw = make_password()
    plant("sql", "migrations/0002_roles.sql", dedent(f"""\
        -- reporting role
        CREATE ROLE reporting NOLOGIN;
        ALTER ROLE reporting WITH LOGIN PASSWORD '{pw}';
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporting;
        """), pw, "reporting", "", "SQL migration on main", at_head=True)
    commit("Add reporting role", SAM, "2024-04-18T14:22:00+02:00")

    # 5. Backup tooling: a keyword/value DSN and a .pgpass.
    pw, host = make_password(), "10.40.2.15"
    plant("dsn", "scripts/backup.sh", dedent(f"""\
        #!/bin/sh
        set -eu
        pg_dump "host={host} port=5432 dbname=orders user=backup password={pw}" > /backups/o.sql
        """), pw, "backup", host, "shell script on main", at_head=True)
    pw, host = make_password(), "orders-db.prod.acme-corp.net"
    plant("pgpass", "deploy/.pgpass", dedent(f"""\
        # hostname:port:database:username:password
        {host}:5432:orders:deploy:{pw}
        """), pw, "deploy", host, ".pgpass on main", at_head=True)
    commit("Nightly backups", LEE, "2024-05-07T08:30:00+02:00")

    # 6-7. A hotfix leak, deleted in the next commit but still in history.
    pw, host = make_password(), "reporting-db.acme-corp.net"
    plant("uri", "config/reporting.env", dedent(f"""\
        REPORTING_URL=postgres://report:{pw}@{host}:5432/reports
        """), pw, "report", host, "deleted in the next commit, still in history",
        at_head=False)
    commit("Hotfix: connect reporting DB", LEE, "2024-05-21T23:48:00+02:00")
    git("rm", "-q", "config/reporting.env")
    commit("Remove reporting credentials", LEE, "2024-05-22T09:02:00+02:00")

    # 8. A release hotfix reachable only from a tag (its branch was deleted).
    git("checkout", "-q", "-b", "release/1.1")
    pw, host = make_password(), "orders-db-replica.prod.acme-corp.net"
    plant("uri", "config/replica.py", dedent(f"""\
        REPLICA_URL = "postgresql+psycopg2://orders_ro:{pw}@{host}/orders"
        """), pw, "orders_ro", host, "only reachable from tag v1.1.1", at_head=False)
    commit("Read from replica", DANA, "2024-06-03T10:00:00+02:00")
    git("tag", "-a", "v1.1.1", "-m", "v1.1.1", who=DANA, date="2024-06-03T10:05:00+02:00")
    git("checkout", "-q", "main")
    git("branch", "-q", "-D", "release/1.1")

    # 9. A feature branch with its own leak.
    git("checkout", "-q", "-b", "feature/analytics")
    pw, host = make_password(), "warehouse.analytics.acme-corp.net"
    plant("uri", "analytics/warehouse.py", dedent(f"""\
        from sqlalchemy import create_engine

        engine = create_engine("postgresql+psycopg2://analyst:{pw}@{host}:5432/dwh")
        """), pw, "analyst", host, "feature branch feature/analytics", at_head=False)
    commit("WIP: analytics warehouse", SAM, "2024-06-12T17:15:00+02:00")
    git("checkout", "-q", "main")
    return planted


def describe(planted: Sequence[Planted]) -> list[str]:
    """One line per planted leak, secrets redacted."""
    from pgsweep.findings.fingerprint import redact

    return [f"{p.form:7} {p.path}:{p.line}  {p.user}@{p.host or '?'}  {redact(p.secret)}  "
            f"({p.note})" for p in planted]
