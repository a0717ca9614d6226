"""Shared reader helpers: terminal rendering, timestamps, grouping into chunks, decoding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provenances import ci_of

from pgsweep.core.models import Chunk, CiLogProvenance, Skipped
from pgsweep.readers.chunking import (
    decode_text,
    epoch_to_iso,
    iso_to_seconds,
    iter_grouped,
    render_terminal,
)
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS

ESC = "\x1b"


def test_render_terminal_shows_final_screen_then_overwritten_segments() -> None:
    assert render_terminal("plain text") == ["plain text"]
    assert render_terminal(f"{ESC}[1;31mred{ESC}[0m and {ESC}]0;title\x07done") == ["red and done"]
    assert render_terminal("12345\rab") == ["ab345", "12345", "ab"]
    assert render_terminal(f"12345\r{ESC}[Kab") == ["ab", "12345"]
    assert render_terminal(f"12345\rab{ESC}[0K") == ["ab", "12345"]
    assert render_terminal(f"12345{ESC}[1K") == ["     ", "12345"]
    assert render_terminal(f"12345\r{ESC}[2K") == ["", "12345"]
    assert render_terminal("line\r") == ["line"]  # CRLF endings
    assert render_terminal(f"{ESC}_bk;t=1717079400000\x07+ psql") == ["+ psql"]  # Buildkite
    assert render_terminal(f"{ESC}[8mha:////AAAA+/=={ESC}[0m[Pipeline] sh") == ["[Pipeline] sh"]


def test_timestamps() -> None:
    assert epoch_to_iso("1717079400") == "2024-05-30T14:30:00+00:00"
    assert epoch_to_iso(1717079400123) == "2024-05-30T14:30:00+00:00"  # milliseconds
    assert epoch_to_iso("99999999999999999999") is None
    assert epoch_to_iso("soon") is None
    assert iso_to_seconds("2024-05-30T14:30:00.1234567Z") == "2024-05-30T14:30:00+00:00"
    assert iso_to_seconds("2024-05-30T16:30:00.123+02:00") == "2024-05-30T14:30:00+00:00"
    assert iso_to_seconds("2024-05-30 14:30:00") == "2024-05-30T14:30:00+00:00"
    assert iso_to_seconds("yesterday") is None


def test_iter_grouped_groups_runs_and_maps_lines() -> None:
    items = [("a", "one", 1), ("a", "two\nthree", 2), ("b", "", 3), ("a", "four", 4), ("a", "", 5)]
    chunks = list(
        iter_grouped(iter(items), lambda k: CiLogProvenance(path="p", system="plain", step=k)))
    assert [(c.data, c.line_map, ci_of(c).step) for c in chunks] == [
        (b"one\ntwo\nthree", (1, 2, 2), "a"),  # blank-only runs ("b") make no chunk
        (b"four\n", (4, 5), "a"),
    ]
    [identity] = iter_grouped(iter([(None, "x", 1), (None, "y", 2)]),
                              lambda k: CiLogProvenance(path="p", system="plain"))
    assert identity.line_map is None


def test_decode() -> None:
    assert decode_text(b"\xef\xbb\xbfhi \xff") == "hi \udcff"
    assert decode_text("hé".encode("utf-16")) == "hé"


# --------------------------------------------------------------------------- fuzzing

# Bytes that mean something to one of the formats, so the fuzzer reaches the parsers.
_TOKENS = [b"\x1b[0K", b"\x1b[32;1m", b"\r", b"\n", b"\\", b"\\M-", b"\\^", b"\\0", b"\x83",
           b"\x01", b"\x00", b"section_start:1717079400:s", b"section_end:1:s", b": 1717079400:0;",
           b"#1717079400", b"- cmd: ", b"  when: 1", b"`", b"[Pipeline] { (x)", b"[Pipeline] }",
           b"2024-05-30T14:30:00.1234567Z ", b"2024-05-30T14:30:00.1Z 00O+", b"##[group]Run ",
           b'[{"message":"', b'"}', b"_HiStOrY_V2_\n", b"\xe2\x80", b"\xff", b"postgres://a:b@h/d"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_TOKENS), st.binary(max_size=8)), max_size=40))
def test_readers_never_raise_on_fuzzed_input(parts: list[bytes]) -> None:
    data = b"".join(parts)
    info = FileInfo(path="/fuzz/x.log", name="x.log", member="a!b/1_x.txt")
    for reader in LOG_AND_HISTORY_READERS:
        reader.matches(info, data[:4096])
        for item in reader.iter_chunks(info, data):
            assert isinstance(item, (Chunk, Skipped))
            if isinstance(item, Chunk) and item.line_map is not None:
                assert len(item.line_map) == item.data.count(b"\n") + 1
                assert all(1 <= n <= data.count(b"\n") + 1 for n in item.line_map)
