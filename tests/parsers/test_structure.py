"""The structure around a position: bracket groups, indented blocks, sections, window."""

from __future__ import annotations

from pgsweep.parsers.structure import Scope, scopes


def _at(text: str, needle: str) -> int:
    return text.index(needle)


def test_brackets_innermost_first_with_their_heads() -> None:
    text = 'pool = ConnectionPool(\n    kwargs={"host": "h", "password": "pw"},\n)\n'
    found = scopes(text, _at(text, '"password"'))
    assert [(s.kind, text[s.head : s.start]) for s in found] == [
        ("brackets", '    kwargs={'),
        ("brackets", "pool = ConnectionPool("),
    ]
    assert text[found[0].start : found[0].end] == '"host": "h", "password": "pw"'


def test_brackets_in_strings_and_lone_apostrophes_do_not_count() -> None:
    text = "x = f(\"a)\", 'b{', don't = 1, password='pw')\n"
    (inner, *_) = scopes(text, _at(text, "password"))
    assert inner == Scope(0, text.index("(") + 1, text.rindex(")"), "brackets")


def test_a_group_closed_before_the_position_is_skipped() -> None:
    text = "cfg = {\n  a: f(1),\n  password: 'pw',\n}\n"
    (inner, *_) = scopes(text, _at(text, "password"))
    assert text[inner.head : inner.start] == "cfg = {"


def test_brace_alone_on_its_line_takes_the_line_before_as_head() -> None:
    text = "var csb = new NpgsqlConnectionStringBuilder\n{\n    Password = \"$PW\",\n};\n"
    (inner, *_) = scopes(text, _at(text, "Password"))
    assert text[inner.head : inner.start] == "var csb = new NpgsqlConnectionStringBuilder\n{"


def test_indented_blocks_up_to_two_levels() -> None:
    text = (
        "storage:\n  primary:\n    type: postgresql\n    connection:\n"
        "      host: h\n      password: pw\n  cache:\n    type: redis\n"
    )
    found = scopes(text, _at(text, "password"))
    assert [(s.kind, text[s.head : s.start]) for s in found] == [
        ("indent", "    connection:"),
        ("indent", "  primary:"),
    ]
    assert text[found[1].start : found[1].end].rstrip().endswith("password: pw")


def test_section_then_window() -> None:
    text = "[server]\nport = 80\n\n[postgresql]\nhost=h\npassword=$PW\n[other]\nx=1\n"
    (section,) = scopes(text, _at(text, "password"))
    assert (section.kind, text[section.head : section.start]) == ("section", "[postgresql]")
    assert text[section.start : section.end] == "\nhost=h\npassword=$PW\n"
    plain = "Host: h\nPassword: pw\n"
    assert scopes(plain, _at(plain, "Password")) == [Scope(0, 0, len(plain), "window")]
