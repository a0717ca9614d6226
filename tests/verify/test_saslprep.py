"""SASLprep as PostgreSQL applies it: unit cases, then the real server's verifiers agree."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pgserver import PgServer

from pgsweep.verify.offline import scram_matches
from pgsweep.verify.saslprep import password_bytes, saslprep_pg

CASES = [
    # (id, password, bytes PostgreSQL hashes)
    ("ascii-unchanged", "Plain-Pw_42", b"Plain-Pw_42"),
    ("ascii-control-kept", "ab\x01\tc", b"ab\x01\tc"),
    ("ligature-nbsp-softhyphen", "\ufb01\u00a0x\u00ady", b"fi xy"),
    ("c12-ideographic-space", "a\u3000b\u2003c", b"a b c"),
    ("b1-zero-width-joiner-bom", "p\u200dw\ufeffd\u00e9", "pwdé".encode()),
    ("nfkc-roman-numeral", "\u2168-\u00e9", "IX-é".encode()),
    ("nfkc-composes", "e\u0301t\u00e9", "été".encode()),
    ("zero-width-space-is-c12", "a\u200bb\u00e9", "a bé".encode()),  # C.1.2 wins over B.1
    ("empty-after-mapping-raw", "\u00ad\u200d", "\u00ad\u200d".encode()),
    ("prohibited-control-raw", "\u00e9\x01", "\u00e9\x01".encode()),
    ("prohibited-private-use-raw", "\ue000x", "\ue000x".encode()),
    ("unassigned-in-3.2-raw", "\u0221\u00e9", "\u0221\u00e9".encode()),
    ("bidi-rtl-ok", "\u0627\u0644", "\u0627\u0644".encode()),
    ("bidi-mixed-raw", "a\u0627", "a\u0627".encode()),
    ("bidi-rtl-not-last-raw", "\u06271", "\u06271".encode()),
    ("invalid-utf8-raw", "pw\udcff", b"pw\xff"),
]


@pytest.mark.parametrize("password,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_saslprep_pg(password: str, expected: bytes) -> None:
    assert saslprep_pg(password) == expected


def test_password_bytes_restores_escaped_bytes() -> None:
    assert password_bytes("a\udc80b") == b"a\x80b"
    assert password_bytes("\u00e9") == b"\xc3\xa9"


def _digits(n: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


# Passwords the server itself hashes: the digits keep each case's property (digits are
# neither left-to-right nor right-to-left, so the bidi cases stay what they are).
SERVER_CASES = [
    ("ligature", lambda d: f"\ufb01\u00a0x\u00ady{d}"),
    ("control-fallback", lambda d: f"\u00e9\x01{d}"),
    ("empty-mapping-fallback", lambda d: "\u00ad\u200d"),
    ("zero-width-space", lambda d: f"\u200b{d}\u00e9"),
    ("bidi-ok", lambda d: f"\u0627{d}\u0644"),
    ("bidi-fallback", lambda d: f"a{d}\u0627"),
    ("unassigned-fallback", lambda d: f"\u0221{d}"),
    ("ideographic-space", lambda d: f"\u3000{d}\u2003"),
]


@pytest.mark.parametrize("make", [c[1] for c in SERVER_CASES], ids=[c[0] for c in SERVER_CASES])
def test_matches_the_servers_own_saslprep(
    pg_server: PgServer, make: Callable[[str], str], request: pytest.FixtureRequest
) -> None:
    """The server hashed the password with its saslprep.c; ours gives the same bytes."""
    name = "sp_" + request.node.callspec.id.replace("-", "_")
    password = make(_digits())
    pg_server.create_role(name, "scram-sha-256", password)
    verifier = dict(pg_server.authid())[name]
    assert scram_matches(verifier, password) == (True, "saslprep")
    assert scram_matches(verifier, password + "x") == (False, None)


@given(st.text())
def test_saslprep_never_fails_and_keeps_ascii(password: str) -> None:
    out = saslprep_pg(password)
    assert isinstance(out, bytes)
    if password.isascii():
        assert out == password.encode()
