"""Registry of parsers by the name signature files use."""

from __future__ import annotations

from pgsweep.parsers import (
    adonet,
    dsn,
    env,
    fields,
    jdbc,
    nearby,
    options,
    pgpass,
    pooler,
    sql,
    uri,
)
from pgsweep.parsers.interface import Parser

PARSERS: dict[str, Parser] = {
    "fields": fields.parse_match,
    "uri": uri.parse_match,
    "libpq_error": uri.parse_error_fragment,
    "dsn": dsn.parse_match,
    "pgpass": pgpass.parse_match,
    "adonet": adonet.parse_match,
    "jdbc": jdbc.parse_match,
    "nearby": nearby.parse_match,
    "env": env.parse_env,
    "pgpass_value": pgpass.parse_pgpass_value,
    "pgpass_line": pgpass.parse_written_line,
    "options": options.parse_match,
    "sql_role": sql.parse_role,
    "sql_user_mapping": sql.parse_user_mapping,
    "scram_verifier": sql.parse_verifier,
    "pgbouncer_userlist": pooler.parse_userlist,
    "pool_passwd": pooler.parse_pool_passwd,
    "pcp_conf": pooler.parse_pcp,
}
