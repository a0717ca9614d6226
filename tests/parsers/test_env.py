"""PGPASSWORD assignments with the options and variables around them."""

from __future__ import annotations

import re

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
