"""The one binary sniffer every reader asks."""

from __future__ import annotations

import pytest

from pgsweep.readers.sniff import looks_binary

ESC = "\x1b"


@pytest.mark.parametrize(
    ("data", "allow_nul", "binary"),
    [
        (bytes(range(256)) * 16, False, True),
        (f"{ESC}[31mcolour{ESC}[0m\r\n\tfine\x0c".encode() * 100, False, False),
        (b"\x00" * 100 + b"text", False, True),
        (b"\x00" * 100 + b"text", True, False),
        (b"\x00" * 70_000, True, False),
        (b"", False, False),
        # known magic decides whatever follows
        (b"\x7fELF" + b"text " * 100, False, True),
        (b"SQLite format 3\x00" + b"x" * 100, False, True),
        (b"PK\x03\x04" + b"a" * 100, True, True),
        # a stray control byte in text: 1 in 21 bytes is not over 5%
        (b"\x01" + b"a" * 20, False, False),
        (b"\x01" + b"a" * 18, False, True),
        # the sample is the first 64 KiB: control bytes after it do not count
        (b"a" * 65536 + b"\x01" * 65536, False, False),
    ],
)
def test_looks_binary(data: bytes, allow_nul: bool, binary: bool) -> None:
    assert looks_binary(data, allow_nul=allow_nul) is binary


def test_each_question_about_the_same_text_gets_its_own_answer() -> None:
    padded = b"ls -la\n" + b"\x00" * 4096  # a shell history a crash padded with NULs
    assert looks_binary(padded) is True
    assert looks_binary(padded, allow_nul=True) is False
    assert looks_binary(padded) is True
    text = b"export PGHOST=db\n" * 10
    assert looks_binary(text) is False
    assert looks_binary(padded) is True
