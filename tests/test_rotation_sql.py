"""The plan's SQL runs as written on a real PostgreSQL server, for awkward role names."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import make_password
from plan_fixtures import NOW, finding, git, grouped

from pgsweep.assess.plan import Section
from pgsweep.assess.rotation import build_plan, quote_ident

# Statements that change the shared test server's configuration or need an extension that
# is not installed; everything else in the SQL and audit sections runs.
SKIPPED_PREFIXES = ("\\password", "ALTER SYSTEM", "SELECT pg_reload_conf", "CREATE EXTENSION",
                    "grep ")


@pytest.fixture
def server(pg_server: Any) -> Any:
    return pg_server


@pytest.mark.parametrize("role", ['we"ird', "o'brien", "back\\slash", "Mixed Case"])
def test_plan_sql_runs_on_a_real_server(server: Any, role: str) -> None:
    f = finding(make_password(), role, ("db.acme.io",), git())
    (plan,) = build_plan([f], grouped([f]), {}, {}, NOW).credentials
    statements = [
        cmd
        for section in (Section.SQL, Section.AUDIT)
        for cmd in (c for s in plan.section(section) for c in s.commands)
        if not cmd.startswith(SKIPPED_PREFIXES)
    ]
    successor = role + "_next"
    canary = f"canary_{plan.credential.id[1:9]}"
    created = [successor, role, canary]
    with server.admin() as conn:
        conn.execute(f"CREATE ROLE {quote_ident(role)} LOGIN")
        try:
            for stmt in statements:
                conn.execute(stmt)
            rows = conn.execute(
                "SELECT rolname, rolcanlogin, rolconnlimit, rolconfig FROM pg_roles "
                "WHERE rolname = ANY(%s) ORDER BY rolname", (created,),
            ).fetchall()
            member = conn.execute(
                "SELECT pg_has_role(%s, %s, 'MEMBER')", (successor, role)
            ).fetchone()
        finally:
            for name in created:
                conn.execute(f"DROP ROLE IF EXISTS {quote_ident(name)}")
    got = {name: (login, limit, config) for name, login, limit, config in rows}
    assert got[role][0] is False  # ALTER ROLE … NOLOGIN
    assert got[role][2] == ["pgaudit.log=all"]
    assert got[successor][:2] == (True, -1)
    assert got[successor][2] == [f"role={role}"]
    assert got[canary][:2] == (True, 1)
    assert member == (True,)
