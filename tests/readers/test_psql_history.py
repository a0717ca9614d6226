"""psql history reader: readline (0x01 newlines) and libedit (_HiStOrY_V2_, strvis) files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password

from pgsweep.core.models import Chunk, HistoryProvenance, ScanStats, Skipped
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS
from pgsweep.readers.psql_history import PsqlHistoryReader, iter_history_lines, unvis


@pytest.fixture(scope="module")
def scanner(all_signatures: list[Signature]) -> Scanner:
    return Scanner(all_signatures)


def strvis_white(raw: bytes) -> bytes:
    """libedit's history encoding, strvis(VIS_WHITE) as NetBSD vis.c writes it."""
    out = bytearray()
    for b in raw:
        if b == 0x5C:
            out += b"\\\\"
        elif b in (0x20, 0x09, 0x0A):
            out += b"\\%03o" % b
        elif 0x21 <= b <= 0x7E:
            out.append(b)
        else:
            out += b"\\"
            if b & 0x80:
                out += b"M"
                b &= 0x7F
            if b < 0x20 or b == 0x7F:
                out += b"^" + (b"?" if b == 0x7F else bytes((b + 0x40,)))
            else:
                out += b"-" + bytes((b,))
    return bytes(out)


def read(path: Path) -> list[Chunk]:
    data = path.read_bytes()
    info = FileInfo(path=str(path), name=path.name, user="postgres", owner="postgres", mode="0600")
    reader = next(r for r in LOG_AND_HISTORY_READERS if r.matches(info, data[:4096]))
    assert isinstance(reader, PsqlHistoryReader)
    items = list(reader.iter_chunks(info, data))
    assert all(isinstance(i, Chunk) for i in items)
    return [i for i in items if isinstance(i, Chunk)]


def findings(scanner: Scanner, chunks: list[Chunk]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for c in chunks:
        for f in scanner.scan_chunk(c, ScanStats()):
            p = f.provenance
            assert isinstance(p, HistoryProvenance)
            rows.append((p.shell, p.user, p.timestamp, f.line, f.user, f.host, redact(f.secret)))
    return rows


def test_readline_history_with_0x01_newlines(scanner: Scanner, tmp_path: Path) -> None:
    pw, pw2 = make_password(), make_password()
    history = tmp_path / ".psql_history"
    history.write_bytes(
        b"select 1\x01, 2;\n"
        + f"\\c postgresql://admin:{pw}@pg.corp.net:5432/prod\n".encode()
        + f"select dblink_connect(\x01'postgres://link:{pw2}@10.4.4.4/other');\n".encode()
    )
    chunks = read(history)
    assert findings(scanner, chunks) == [
        ("psql", "postgres", None, 2, "admin", "pg.corp.net", redact(pw)),
        ("psql", "postgres", None, 3, "link", "10.4.4.4", redact(pw2)),
    ]
    assert chunks[0].line_map == (1, 1, 2, 3, 3)


def test_libedit_history_is_unvised(scanner: Scanner, tmp_path: Path) -> None:
    secret = make_password() + "é"  # 8-bit bytes become \M-C\M-)
    entries = [
        b"select now();",
        f"\\connect postgresql://mac:{secret}@pg.corp.net/app".encode(),
        b"select 1\x01from t;",
        b"\\echo 'x y\\z'",
    ]
    history = tmp_path / ".psql_history-app"
    history.write_bytes(b"_HiStOrY_V2_\n" + b"\n".join(strvis_white(e) for e in entries) + b"\n")
    assert b"\\connect\\040postgresql://" in history.read_bytes()
    assert b"\\M-C\\M-)" in history.read_bytes() and b"\\^A" in history.read_bytes()
    chunks = read(history)
    assert findings(scanner, chunks) == [
        ("psql", "postgres", None, 3, "mac", "pg.corp.net", redact(secret)),
    ]
    text = chunks[0].data.decode()
    assert text.split("\n") == [
        "select now();",
        f"\\connect postgresql://mac:{secret}@pg.corp.net/app",
        "select 1",
        "from t;",
        "\\echo 'x y\\z'",
    ]
    assert chunks[0].line_map == (2, 3, 4, 4, 5)


def test_unvis_escapes() -> None:
    assert unvis(b"ALTER\\040ROLE\\040app\\040PASSWORD\\040'S3cr3t';") == (
        b"ALTER ROLE app PASSWORD 'S3cr3t';")
    assert unvis(b"a\\\\b") == b"a\\b"
    assert unvis(b"\\^A\\^?\\M-C\\M-)\\M^A") == b"\x01\x7f\xc3\xa9\x81"
    assert unvis(b"\\n\\t\\s\\r\\001\\12\\0") == b"\n\t \r\x01\n\x00"
    assert unvis(b"\\x41\\$x\\q") == b"Ax\\q"  # unknown escapes are kept
    assert unvis(b"trailing\\") == b"trailing\\"
    every = bytes(range(256))
    assert unvis(strvis_white(every)) == every


def test_alter_role_password_in_libedit_history(scanner: Scanner, tmp_path: Path) -> None:
    """ALTER ROLE … PASSWORD, found by the SQL signatures through libedit's encoding."""
    pw = make_password()
    history = tmp_path / ".psql_history"
    statement = f"ALTER ROLE app WITH PASSWORD '{pw}';".encode()
    history.write_bytes(b"_HiStOrY_V2_\n" + strvis_white(statement) + b"\n")
    got = findings(scanner, read(history))
    assert [(row[3], row[6]) for row in got] == [(2, redact(pw))]


def test_history_lines_bad_input() -> None:
    assert list(iter_history_lines(b"")) == []
    assert list(iter_history_lines(b"_HiStOrY_V2_\n\\M-\xff\\\n")) == [("\udcff\\", 2)]
    assert list(iter_history_lines(b"a\x00b\n")) == [("ab", 1)]
    reader = PsqlHistoryReader()
    info = FileInfo(path="/r/.psql_history", name=".psql_history")
    items = list(reader.iter_chunks(info, bytes(range(256)) * 64))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    big = list(reader.iter_chunks(info, b"_HiStOrY_V2_\n" + b"\\040" * 500_000))
    assert len(big) == 1 and isinstance(big[0], Chunk) and big[0].data == b" " * 500_000
