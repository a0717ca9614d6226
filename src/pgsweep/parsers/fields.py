"""The generic parser: named regex groups map straight onto credential fields."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential


def unquote(value: str) -> str:
    """Strip one layer of matching quotes (the regex decides what a value is)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
        return value[1:-1]
    return value


def parse_match(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """Read the groups the signature's `fields` name for password, user, host, port, database."""
    named = match.groupdict()
    groups = {f: named[g] for f, g in fields.items() if named.get(g) is not None}
    password = groups.get("password")
    if password is None:
        return None
    host = groups.get("host")
    port = groups.get("port")
    return ParsedCredential(
        password=unquote(password),
        user=unquote(groups["user"]) if "user" in groups else None,
        hosts=(unquote(host),) if host else (),
        ports=(port,) if port else (),
        database=unquote(groups["database"]) if "database" in groups else None,
    )
