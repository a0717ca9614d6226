"""The hyperscan and bytes.find prefilters report exactly the same hits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsweep.detectors.prefilter import Prefilter, hyperscan_available

KEYWORDS = [b"postgres://", b"password", b"pgpass", b"pwd"]


def test_find_prefilter_reports_every_case_insensitive_occurrence() -> None:
    p = Prefilter(KEYWORDS, use_hyperscan=False)
    data = b"PASSWORD=1 Postgres://x pwd password pwdpwd"
    assert sorted(p.iter_hits(data)) == [
        (0, 1), (11, 0), (24, 3), (28, 1), (37, 3), (40, 3),
    ]
    assert p.present(b"nothing here") == []


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"postgres://", b"PassWord", b"pgPASS", b"pwd", b"x", b"\n",
                                 b"\x00", b"\xc3\xa9", b"passwor", b"postgres:/"]),
                max_size=40))
def test_hyperscan_and_find_agree(parts: list[bytes]) -> None:
    data = b"".join(parts)
    fast = Prefilter(KEYWORDS, use_hyperscan=True)
    slow = Prefilter(KEYWORDS, use_hyperscan=False)
    assert fast.engine == "hyperscan"
    assert sorted(fast.iter_hits(data)) == sorted(slow.iter_hits(data))


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"postgres://", b"PassWord", b"pgPASS", b"pwd", b"x", b"\n",
                                 b"passwor", b"postgres:/"]), max_size=40))
def test_locator_hyperscan_and_find_agree(parts: list[bytes]) -> None:
    from pgsweep.detectors.prefilter import Locator

    data = b"".join(parts)
    assert Locator(KEYWORDS, use_hyperscan=True).hits(data) == Locator(
        KEYWORDS, use_hyperscan=False).hits(data)
