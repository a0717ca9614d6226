"""Every `verify --format` has a renderer; the JSON document's exact shape."""

from __future__ import annotations

import io
import json

import pytest

from pgsweep.core.models import CredentialId
from pgsweep.verify.interface import Status, VerificationResult
from pgsweep.verify.report import RENDERERS, VerifyFormat, render

RESULTS = [
    VerificationResult(CredentialId("c1"), "app", ("db.corp.net",), "offline", Status.LIVE,
                       {"verifier": "scram-sha-256", "match": "saslprep"}),
    VerificationResult(CredentialId("c1"), "app", ("db.corp.net",), "live", Status.INVALID,
                       {"host": "db.corp.net", "tls": True, "sqlstate": "28P01"}),
]


@pytest.mark.parametrize("fmt", list(VerifyFormat))
def test_every_format_has_a_renderer(fmt: VerifyFormat) -> None:
    assert fmt in RENDERERS
    out = io.StringIO()
    render(RESULTS, fmt, out)
    assert out.getvalue()


def test_json_document() -> None:
    out = io.StringIO()
    render(RESULTS, VerifyFormat.JSON, out)
    assert json.loads(out.getvalue()) == {"version": 1, "results": [
        {"credential": "c1", "user": "app", "hosts": ["db.corp.net"], "method": "offline",
         "status": "live", "detail": {"verifier": "scram-sha-256", "match": "saslprep"}},
        {"credential": "c1", "user": "app", "hosts": ["db.corp.net"], "method": "live",
         "status": "invalid", "detail": {"host": "db.corp.net", "tls": True, "sqlstate": "28P01"}},
    ]}


def test_terminal_table() -> None:
    out = io.StringIO()
    render(RESULTS, VerifyFormat.TERMINAL, out)
    assert [ln.split() for ln in out.getvalue().splitlines()] == [
        ["!", "c1", "app@db.corp.net", "offline", "live", "verifier=scram-sha-256",
         "match=saslprep"],
        ["c1", "app@db.corp.net", "live", "invalid", "sqlstate=28P01", "host=db.corp.net",
         "tls=yes"],
        [],
        ["1", "result(s)", "show", "a", "leaked", "credential", "that", "still", "works."],
    ]
