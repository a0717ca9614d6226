"""The detector: the locator finds every keyword, windows follow hits, sources scope signatures."""

from __future__ import annotations

import pytest
from conftest import make_password
from filescan import Row, row, scan_data, shared_scanner
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsweep.core.models import Chunk, FileProvenance, GitProvenance
from pgsweep.detectors.engine import SignatureDetector, _LineCounter, merge_windows
from pgsweep.detectors.signatures import Signature


def _naive_hits(keywords: tuple[bytes, ...], data: bytes) -> list[tuple[int, int]]:
    low = data.lower()
    out = []
    for ki, kw in enumerate(keywords):
        pos = low.find(kw)
        while pos >= 0:
            out.append((pos, ki))
            pos = low.find(kw, pos + 1)
    return sorted(out)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_locator_finds_every_keyword_occurrence(
    all_signatures: list[Signature], data: st.DataObject
) -> None:
    """Hyperscan and the find fallback give what a find per keyword gives, case-insensitive."""
    plan = SignatureDetector(all_signatures).plan("file")
    pieces = [*plan.keywords, *(kw.upper() for kw in plan.keywords[:10]),
              *(kw[:-1] for kw in plan.keywords[:10]), b"x", b"\n", b"\xc3\xa9"]
    text = b"".join(data.draw(st.lists(st.sampled_from(pieces), max_size=30)))
    assert plan.locator.hits(text) == _naive_hits(plan.keywords, text)
    slow = SignatureDetector(all_signatures, use_hyperscan=False).plan("file")
    assert slow.locator.hits(text) == _naive_hits(plan.keywords, text)


def test_error_text_signature_runs_on_logs_not_git_blobs(all_signatures: list[Signature]) -> None:
    fragment = make_password(8)  # generated: a literal would be a leak at rest
    text = (
        f'psql: error: invalid integer value "{fragment}" for connection option "port"\n'
    ).encode()
    detector = SignatureDetector(all_signatures)
    on_file = [
        c.rule for c in detector.iter_candidates(Chunk(text, FileProvenance(path="ci.log")))
    ]
    on_git = [c.rule for c in detector.iter_candidates(
        Chunk(text, GitProvenance(repo="r", blob="b" * 40, path="ci.log")))]
    assert on_file == ["pg.uri.2"]
    assert on_git == []


def test_hits_on_one_line_make_one_window(all_signatures: list[Signature], password: str) -> None:
    line = f"a postgres://u:{password}@db.example.com/x postgres://u:{password}@db.example.com/y\n"
    data = b"header\n" + line.encode() + b"footer\n"
    detector = SignatureDetector(all_signatures)
    windows = detector.windows(Chunk(data, FileProvenance(path="x.txt")))
    uri = next(i for i, s in enumerate(detector.signatures) if s.id == "pg.uri.1")
    assert windows[uri] == [(7, 7 + len(line) - 1)]


def test_a_leak_far_along_a_long_line_of_hits_is_found(password: str) -> None:
    """A minified bundle names `postgres://` over and over on one line: the window of its
    first hit is cut to MAX_WINDOW, and a URI further along is still read."""
    filler = b'"postgres://";' * (100 * 1024 // 14)
    leak = f'const db="postgres://app:{password}@db.corp.net/prod";'.encode()
    found, stats = scan_data(shared_scanner(), "app.min.js", filler + leak + filler)
    assert [row(f) for f in found] == [
        Row("/data/app.min.js", 1, "app", "db.corp.net", password, "prod")]
    assert not stats.skipped


def _naive_windows(sig: Signature, data: bytes) -> list[tuple[int, int]]:
    """Each hit's line with the signature's lines around it, as merged byte ranges: line by
    line, from a split of the whole text."""
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    ends = [s - 1 for s in starts[1:]] + [len(data)]
    covered: set[int] = set()
    for pos, _ in _naive_hits(sig.keywords, data):
        line = max(i for i, s in enumerate(starts) if s <= pos)
        covered.update(range(max(0, line - sig.lines_before),
                             min(len(starts), line + sig.lines_after + 1)))
    return merge_windows([(starts[i], ends[i]) for i in covered])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_windows_are_the_lines_around_every_hit(
    all_signatures: list[Signature], data: st.DataObject
) -> None:
    """Hits close together share a window that reaches the last hit's lines after it."""
    detector = SignatureDetector(all_signatures)
    pieces = [b"password=", b"pwd=", b"Password =", b"x", b" ", b"\n", b"\n\n"]
    text = b"".join(data.draw(st.lists(st.sampled_from(pieces), max_size=60)))
    windows = detector.windows(Chunk(text, FileProvenance(path="x.txt")))
    for si, sig in enumerate(detector.signatures):
        if sig.id in ("pg.adonet.1", "pg.dsn.1", "pg.options.1"):
            assert merge_windows(windows.get(si, [])) == _naive_windows(sig, text), sig.id


@given(
    data=st.text("ab\n", max_size=200),
    positions=st.lists(st.integers(min_value=0, max_value=200), max_size=30),
)
def test_line_numbers_counted_from_the_last_offset_match_counting_from_the_start(
    data: str, positions: list[int]
) -> None:
    raw = data.encode()
    lines = _LineCounter(raw)
    for pos in positions:
        pos = min(pos, len(raw))
        assert lines.line_at(pos) == raw.count(b"\n", 0, pos) + 1


def test_a_fallback_signature_yields_to_a_specific_one_that_knows_as_much() -> None:
    props = (
        b"spring.datasource.url=jdbc:postgresql://db.example.com:5432/orders\n"
        b"spring.datasource.username=orders\n"
        b"spring.datasource.password=Spring-Pw-8812\n"
    )
    found, _ = scan_data(shared_scanner(), "application.properties", props)
    assert [(f.rule, row(f)) for f in found] == [
        ("pg.jdbc.2", Row("/data/application.properties", 3, "orders", "db.example.com",
                          "Spring-Pw-8812", "orders")),
    ]
    # pg.jdbc.2 does not read sbt's camel-case `flywayUser`; the generic form adds the user
    sbt = (
        b'flywayUrl := "jdbc:postgresql://pg.example.com:5432/app"\n'
        b'flywayUser := "flyway"\n'
        b'flywayPassword := "Qt4-Wz9mKr"\n'
    )
    found, _ = scan_data(shared_scanner(), "build.sbt", sbt)
    assert sorted((f.rule, row(f)) for f in found) == [
        ("pg.jdbc.2", Row("/data/build.sbt", 3, None, "pg.example.com", "Qt4-Wz9mKr", "app")),
        ("pg.options.1",
         Row("/data/build.sbt", 3, "flyway", "pg.example.com", "Qt4-Wz9mKr", "app")),
    ]


@pytest.mark.parametrize(("name", "text", "secret"), [
    # Python: the program's string is `password='it\'s-Kw9x'`, which libpq reads as it's-Kw9x
    ("db.py",
     b"""c = psycopg2.connect("host=db2.corp.example user=kw password='it\\\\'s-Kw9x'")\n""",
     "it's-Kw9x"),
    # Go: `password=sooper\secret`; libpq's bare value drops the backslash
    ("db.go", b'dsn := "host=go.corp.example user=gopher password=sooper\\\\secret dbname=app"\n',
     "soopersecret"),
    # a URI's password is in its span: the generic form reads nothing more
    ("run.sh", b'psql "postgresql://ops@ops.corp.example/app?password=Qp-7x%20y"\n', "Qp-7x y"),
])
def test_a_code_string_is_read_as_the_program_reads_it_once(
        name: str, text: bytes, secret: str) -> None:
    found, _ = scan_data(shared_scanner(), name, text)
    assert [f.secret for f in found] == [secret]


def test_a_call_s_own_dsn_names_its_host_not_a_neighbour_s() -> None:
    php = (
        b"<?php\n"
        b"$a = new PDO('pgsql:host=a.corp.example;dbname=app', 'php', 'Ph-Pw7zXc3');\n"
        b"$b = new PDO('pgsql:host=b.corp.example;port=5432;dbname=t;user=bruce;"
        b"password=Br-Pw5mNb2');\n"
        b'$c = pg_connect("host=c.corp.example port=5432 dbname=m user=lamb password=Lm-Pw3v");\n'
    )
    found, _ = scan_data(shared_scanner(), "db.php", php)
    assert sorted((f.rule, row(f)) for f in found) == [
        ("pg.dsn.1", Row("/data/db.php", 4, "lamb", "c.corp.example", "Lm-Pw3v", "m")),
        ("pg.php.1", Row("/data/db.php", 3, "bruce", "b.corp.example", "Br-Pw5mNb2", "t")),
        ("pg.positional.4", Row("/data/db.php", 2, "php", "a.corp.example", "Ph-Pw7zXc3", "app")),
    ]
