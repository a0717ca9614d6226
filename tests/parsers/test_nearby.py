"""Sibling lookup for window-based forms."""

from __future__ import annotations

import re

from pgsweep.core.models import ParsedCredential
from pgsweep.parsers import nearby


def test_nearby_block_and_context() -> None:
    text = (
        'resource "a" "x" {\n  engine = "postgres"\n  username = "u1"\n}\n'
        'resource "a" "y" {\n  engine = "mysql"\n  password = "p2"\n}\n'
    )
    m = re.search(r'password = (?P<password>"[^"]*")', text)
    assert m is not None
    opts = {"block": r"(?m)^resource\b", "context": "postgres"}
    assert nearby.parse_match(m, opts) is None
    assert nearby.parse_match(m, {"block": r"(?m)^resource\b"}) == ParsedCredential(password="p2")
