"""PGPASSWORD assignments with the options and variables around them."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import make_password, scan_tree

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import env

ENV = re.compile(r"PGPASSWORD(?P<sep>=)(?P<password>\S+)")


def test_env_reads_psql_options_and_pg_vars() -> None:
    text = "export PGUSER=ops\nPGPASSWORD=pw psql --host=h1 -p 5433 -d prod\n"
    m = ENV.search(text)
    assert m is not None
    assert env.parse_env(m, {}) == ParsedCredential(
        password="pw", user="ops", hosts=("h1",), ports=("5433",), database="prod"
    )


def test_compose_text_inside_a_code_string_gives_its_secret_once(tmp_path: Path) -> None:
    """YAML held in a code string (`"…POSTGRES_PASSWORD: \\"pw\\"\\n…"`) is read once its
    escapes are undone: one finding with the real value, none with the escapes in it."""
    pw = make_password()
    code = ('const compose = "services:\\n  postgres:\\n    environment:\\n'
            '      POSTGRES_USER: \\"app\\"\\n'
            f'      POSTGRES_PASSWORD: \\"{pw}\\"\\n";\n')
    found = scan_tree(tmp_path, {"src/init.js": code}).findings
    assert [(f.rule, f.line, f.user, f.secret) for f in found] == [("pg.env.2", 1, "app", pw)]
