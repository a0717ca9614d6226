"""The sslmode a leak's parameters ask for: one rule for the risk model and the verifier."""

from __future__ import annotations

import pytest

from pgsweep.parsers.sslmode import sslmode_of


@pytest.mark.parametrize(
    ("params", "mode"),
    [
        ((), None),
        ((("sslmode", "verify-full"),), "verify-full"),
        ((("sslmode", " Require "),), "require"),
        ((("SSLMode", "disable"),), "disable"),
        ((("sslmode", "prefer"), ("sslmode", "verify-ca")), "verify-ca"),  # the last wins
        ((("sslmode", "bogus"),), None),
        ((("ssl", "true"),), "require"),
        ((("ssl", "1"),), "require"),
        ((("ssl", "on"),), "require"),
        ((("ssl", "false"),), None),
        ((("ssl", "true"), ("sslmode", "verify-full")), "verify-full"),
        ((("sslmode", "bogus"), ("ssl", "true")), "require"),
        ((("application_name", "require"),), None),
    ],
)
def test_sslmode_of(params: tuple[tuple[str, str], ...], mode: str | None) -> None:
    assert sslmode_of(params) == mode
