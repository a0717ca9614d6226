"""Registry of parsers by the name signature files use."""

from __future__ import annotations

from pgsweep.parsers import dsn, fields, uri
from pgsweep.parsers.interface import Parser

PARSERS: dict[str, Parser] = {
    "fields": fields.parse_match,
    "uri": uri.parse_match,
    "dsn": dsn.parse_match,
}
