"""A line repeated in many chunks (every version of a file in a history) is parsed and
judged once, yet each occurrence keeps its own place, count and severity."""

from __future__ import annotations

from conftest import make_password

from pgsweep.core.models import Chunk, FileProvenance, ParsedCredential, ScanStats, Severity
from pgsweep.detectors import signatures
from pgsweep.detectors.window_memo import WindowMemo
from pgsweep.findings.pipeline import Scanner


def _scan(texts: list[str]) -> tuple[list[tuple[str, int, str, Severity]], ScanStats]:
    stats = ScanStats()
    chunks = [Chunk(t.encode(), FileProvenance(path=f"v{i}/app.env")) for i, t in enumerate(texts)]
    found = Scanner(signatures.load()).scan_items(chunks, stats)
    return sorted((f.provenance.path or "", f.line, f.secret, f.severity) for f in found), stats


def test_a_repeated_line_keeps_its_own_line_in_each_chunk() -> None:
    pw = make_password()
    line = f"DATABASE_URL=postgresql://app:{pw}@db.acme-prod.io/app\n"
    filler = "".join(f"# note {i}\n" for i in range(40))  # beyond every signature's reach
    found, _ = _scan([line, filler + line, "é\n" + filler * 2 + line])
    assert found == [("v0/app.env", 1, pw, Severity.HIGH), ("v1/app.env", 41, pw, Severity.HIGH),
                     ("v2/app.env", 82, pw, Severity.HIGH)]


def test_a_repeated_line_is_counted_and_graded_at_every_occurrence() -> None:
    masked = "DATABASE_URL=postgresql://app:********@db.acme-prod.io/app\n"
    weak = "DATABASE_URL=postgresql://app:tiger@localhost/app\n"
    found, stats = _scan([masked + weak, weak + masked, masked])
    assert stats.suppressed == {"masked": 3}
    assert found == [("v0/app.env", 2, "tiger", Severity.INFO),
                     ("v1/app.env", 1, "tiger", Severity.INFO)]


def test_a_full_memo_starts_afresh() -> None:
    memo = WindowMemo(budget=1000)
    parsed = ParsedCredential(user="app")
    memo.put("pg.uri.1", b"a" * 300, ((0, 3, parsed),))
    assert memo.get("pg.uri.1", b"a" * 300) == ((0, 3, parsed),)
    assert memo.get("pg.env.1", b"a" * 300) is None
    memo.put("pg.uri.1", b"b" * 500, ())
    assert memo.get("pg.uri.1", b"a" * 300) is None
    assert memo.get("pg.uri.1", b"b" * 500) == ()
