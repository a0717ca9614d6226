"""Known answers for redaction at every length from 1 to 40, and for escaping scanned text.

A redacted preview shows at most two characters at each end, never three in a row: a bug
that shows short secrets whole, or one more character, fails here.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from pgsweep.core.display import _UNSAFE, printable, printable_lines, utf8_data, utf8_text
from pgsweep.findings.fingerprint import redact, secret_length

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"

REDACTED = {
    1: "… (1 chars)",
    2: "… (2 chars)",
    3: "… (3 chars)",
    4: "… (4 chars)",
    5: "… (5 chars)",
    6: "… (6 chars)",
    7: "… (7 chars)",
    8: "a…h (8 chars)",
    9: "a…i (9 chars)",
    10: "a…j (10 chars)",
    11: "a…k (11 chars)",
    12: "ab…kl (12 chars)",
    13: "ab…lm (13 chars)",
    14: "ab…mn (14 chars)",
    15: "ab…no (15 chars)",
    16: "ab…op (16 chars)",
    17: "ab…pq (17 chars)",
    18: "ab…qr (18 chars)",
    19: "ab…rs (19 chars)",
    20: "ab…st (20 chars)",
    21: "ab…tu (21 chars)",
    22: "ab…uv (22 chars)",
    23: "ab…vw (23 chars)",
    24: "ab…wx (24 chars)",
    25: "ab…xy (25 chars)",
    26: "ab…yz (26 chars)",
    27: "ab…zA (27 chars)",
    28: "ab…AB (28 chars)",
    29: "ab…BC (29 chars)",
    30: "ab…CD (30 chars)",
    31: "ab…DE (31 chars)",
    32: "ab…EF (32 chars)",
    33: "ab…FG (33 chars)",
    34: "ab…GH (34 chars)",
    35: "ab…HI (35 chars)",
    36: "ab…IJ (36 chars)",
    37: "ab…JK (37 chars)",
    38: "ab…KL (38 chars)",
    39: "ab…LM (39 chars)",
    40: "ab…MN (40 chars)",
}


@pytest.mark.parametrize("n", range(1, 41))
def test_redact_known_answer_at_every_length(n: int) -> None:
    assert redact(ALPHABET[:n]) == REDACTED[n]


@pytest.mark.parametrize("n", range(1, 41))
def test_redact_never_shows_three_characters_in_a_row(n: int) -> None:
    secret = ALPHABET[:n]
    shown = redact(secret)
    assert n < 4 or secret not in shown  # ("(1 chars)" holds an "a")
    assert not any(secret[i : i + 3] in shown for i in range(n - 2))
    assert secret_length(shown) == n


def test_redacted_preview_escapes_what_it_shows() -> None:
    # an undecodable byte (a surrogate escape) and an escape sequence at the ends
    assert redact("\udcffbcdefghij\x1b[") == "\\xffb…\\x1b[ (12 chars)"
    assert redact("\x1bbcdefg\x07") == "\\x1b…\\x07 (8 chars)"
    redact("\udcff" * 20).encode("utf-8")  # never a lone surrogate in the output


def test_secret_length_reads_only_previews() -> None:
    assert secret_length("ab…kl (12 chars)") == 12
    assert secret_length("… (1 chars)") == 1
    assert secret_length("core-postgresql") is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain café ✓", "plain café ✓"),
        ("ev\x1b[31mil", "ev\\x1b[31mil"),
        ("db\x1b]0;pwn\x07.example.com", "db\\x1b]0;pwn\\x07.example.com"),
        ("conf\udcff.env", "conf\\xff.env"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("x\x7fy\x9bz", "x\\x7fy\\u009bz"),
        ("evil\u202egpj.exe", "evil\\u202egpj.exe"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("lone\ud800", "lone\\ud800"),
        ("C:\\Users\\app", "C:\\Users\\app"),
    ],
)
def test_printable_known_answers(text: str, shown: str) -> None:
    assert printable(text) == shown
    shown.encode("utf-8")


def test_printable_covers_every_control_format_and_separator_character() -> None:
    unsafe = ("Cc", "Cf", "Cs", "Zl", "Zp")
    missing = [hex(c) for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in unsafe and not _UNSAFE.match(chr(c))]
    assert missing == []


def test_printable_lines_keeps_newlines_only() -> None:
    assert printable_lines("one \x1b[2J\ntwo\udcfe") == "one \\x1b[2J\ntwo\\xfe"


def test_utf8_text_escapes_undecodable_bytes_only() -> None:
    assert utf8_text("u\udcff\x1b") == "u\\xff\x1b"  # JSON escapes the control itself
    assert utf8_data({"p\udc80": ["x\udcff", 1, None, ("\udc41",)]}) == {
        "p\\x80": ["x\\xff", 1, None, ["\\udc41"]]}  # below 0x80: not a byte
