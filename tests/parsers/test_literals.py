"""String literals read as each language reads them."""

from __future__ import annotations

import pytest

from pgsweep.parsers import literals


@pytest.mark.parametrize(
    ("raw", "lang", "value"),
    [
        (r'"sooper\\secret"', "go", "sooper\\secret"),
        (r'"say \"hi\""', "java", 'say "hi"'),
        (r'"tab\there"', "python", "tab\there"),
        (r'"\x41\u00e9\U0001F600\101"', "python", "Aé😀A"),
        (r'"\u{1F600}x"', "js", "😀x"),
        (r'"\q"', "java", "q"),  # an unknown escape keeps its character
        (r"'it\'s'", "python", "it's"),
        (r"'a\nb'", "js", "a\nb"),
        (r"'a\nb'", "ruby", "a\\nb"),  # Ruby single quotes: only \' and \\
        (r"'a\\b\'c'", "ruby", "a\\b'c"),
        ("'it''s'", "", "it's"),  # YAML single quotes
        (r'r"raw\nstr"', "python", "raw\\nstr"),
        (r"R'raw\d'", "python", "raw\\d"),
        (r'@"C:\dir\""x"""', "csharp", 'C:\\dir\\"x"'),
        (r"`raw\n`", "go", "raw\\n"),
        (r"`tpl\`x\n`", "js", "tpl`x\n"),
        (r"`tpl\`x`", "", "tpl`x"),  # an escaped backtick: JavaScript
        (r'"a\"b" trailing', "java", 'a"b'),  # ends at its closing quote
    ],
)
def test_decode(raw: str, lang: str, value: str) -> None:
    assert literals.decode(raw, lang) == value


@pytest.mark.parametrize("raw", ["bare", '"unclosed', "'unclosed", "`unclosed", '@"unclosed'])
def test_not_a_literal(raw: str) -> None:
    assert literals.decode(raw) is None


def test_unescape_keeps_text_without_backslashes_and_bad_codes() -> None:
    assert literals.unescape("plain") == "plain"
    assert literals.unescape(r"\xZZ") == "xZZ"
    assert literals.unescape("trailing\\") == "trailing\\"
