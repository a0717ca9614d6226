"""The hyperscan and bytes.find locators report exactly the same hits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsweep.detectors.prefilter import Locator, hyperscan_available

KEYWORDS = [b"postgres://", b"password", b"pgpass", b"pwd"]


def test_find_locator_reports_every_case_insensitive_occurrence() -> None:
    loc = Locator(KEYWORDS, use_hyperscan=False)
    data = b"PASSWORD=1 Postgres://x pwd password pwdpwd"
    assert loc.engine == "find"
    assert loc.hits(data) == [(0, 1), (11, 0), (24, 3), (28, 1), (37, 3), (40, 3)]
    assert loc.hits(b"nothing here") == []


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"postgres://", b"PassWord", b"pgPASS", b"pwd", b"x", b"\n",
                                 b"\x00", b"\xc3\xa9", b"passwor", b"postgres:/"]),
                max_size=40))
def test_hyperscan_and_find_agree(parts: list[bytes]) -> None:
    data = b"".join(parts)
    fast = Locator(KEYWORDS, use_hyperscan=True)
    assert fast.engine == "hyperscan"
    assert fast.hits(data) == Locator(KEYWORDS, use_hyperscan=False).hits(data)
