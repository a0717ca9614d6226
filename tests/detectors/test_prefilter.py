"""Every prefilter engine (hyperscan, the Aho-Corasick automaton, bytes.find) reports exactly
the same hits, and a scan gives the same findings whichever engine runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from corpuscases import load as load_corpus
from filescan import Row, row, scan_data
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsweep.detectors.prefilter import ENGINES, Locator, best_engine, is_available
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import KEY_ENV
from pgsweep.findings.pipeline import Scanner

KEYWORDS = [b"postgres://", b"password", b"pgpass", b"pwd"]


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_reports_every_case_insensitive_occurrence(engine: str) -> None:
    loc = Locator(KEYWORDS, engine=engine)
    data = b"PASSWORD=1 Postgres://x pwd password pwdpwd"
    assert loc.engine == engine
    assert loc.hits(data) == [(0, 1), (11, 0), (24, 3), (28, 1), (37, 3), (40, 3)]
    assert loc.hits(b"nothing here") == []


@pytest.mark.parametrize("engine", ENGINES)
def test_overlapping_literals_and_prefixes_are_all_reported(engine: str) -> None:
    """`postgres` inside `postgresql://`, `pass` inside `password`: each literal at each of
    its positions, as the windows of every signature need them."""
    loc = Locator([b"postgres", b"postgresql://", b"pass", b"password", b"ss"], engine=engine)
    assert loc.hits(b"PostgreSQL://u:x@h password") == [
        (0, 0), (0, 1), (19, 2), (19, 3), (21, 4)]


def test_the_best_engine_installed_is_chosen_and_hyperscan_can_be_refused() -> None:
    assert best_engine() == "hyperscan"
    assert best_engine(use_hyperscan=False) == "automaton"
    assert Locator(KEYWORDS).engine == "hyperscan"
    assert Locator(KEYWORDS, use_hyperscan=False).engine == "automaton"


def test_an_engine_that_is_not_installed_is_refused() -> None:
    assert is_available("find")
    assert not is_available("no-such-engine")
    with pytest.raises(ValueError, match="not installed"):
        Locator(KEYWORDS, engine="no-such-engine")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"postgres://", b"PassWord", b"pgPASS", b"pwd", b"x", b"\n",
                                 b"\x00", b"\xc3\xa9", b"passwor", b"postgres:/", b"\xc4\xb0",
                                 b"\xe2\x84\xaa"]),
                max_size=40))
def test_all_engines_agree(parts: list[bytes]) -> None:
    """Non-ASCII bytes (Turkish dotted I, the Kelvin sign) never fold into ASCII letters."""
    data = b"".join(parts)
    hits = [Locator(KEYWORDS, engine=e).hits(data) for e in ENGINES]
    assert hits[0] == hits[1] == hits[2]


def _corpus() -> list[tuple[str, str, bytes]]:
    """Every labelled corpus case and every signature example, as (name, path, bytes)."""
    from pgsweep.detectors import signatures

    out = [(c.name, c.path, c.text.encode()) for c in load_corpus()]
    for sig in signatures.load():
        for i, ex in enumerate((*sig.examples, *sig.negative_examples)):
            path = ex.path or f"/examples/{sig.id}/{i}.txt"
            out.append((path.rsplit("/", 1)[-1], path, ex.text.encode()))
    return out


def test_a_scan_finds_the_same_with_every_engine(
    all_signatures: list[Signature], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The labelled corpus and every signature example through the real pipeline, once per
    engine: the same findings (path, line, user, host, secret, rule, severity)."""
    monkeypatch.setenv(KEY_ENV, "keyed: no scrypt per distinct secret")
    corpus = _corpus()

    def findings(engine: str) -> list[tuple[Row, str, str]]:
        scanner = Scanner(all_signatures, prefilter=engine)
        out: list[tuple[Row, str, str]] = []
        for name, path, data in corpus:
            found, _ = scan_data(scanner, name, data, path=path)
            out += [(row(f), f.rule, str(f.severity)) for f in found]
        return out

    reference = findings("hyperscan")
    known = Row("/corpus/app/settings.env", 1, "user", "localhost", "Vd83kqPz0w")
    assert (known, "pg.uri.1", "low") in reference
    assert len(reference) > 500
    assert findings("automaton") == reference
    assert findings("find") == reference


@pytest.mark.parametrize("missing", [["hyperscan"], ["hyperscan", "ahocorasick_rs"]])
def test_a_scan_without_the_accelerators_reports_the_same(
    tmp_path: Path, missing: list[str]
) -> None:
    """`pgsweep scan` in an interpreter where the accelerators cannot be imported (as after
    an install without them) gives the same JSON findings as with them."""
    secret = make_password()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.env").write_text(
        f"DATABASE_URL=postgresql://app:{secret}@db.example.net:5432/orders\n"
        f"PGPASSWORD={secret}x\n")
    (tmp_path / "notes.md").write_text("nothing to see\n")
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in missing)
    code = f"import sys; {block}; sys.argv[0] = 'pgsweep'; import runpy; " \
           "runpy.run_module('pgsweep', run_name='__main__')"

    def scan(*prefix: str) -> list[tuple[str, int, str]]:
        out = tmp_path / f"report{len(prefix)}.json"
        proc = subprocess.run(
            [*prefix, "scan", str(tmp_path / "app"), "--no-store", "--format", "json",
             "--output", str(out)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")})
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(out.read_text())
        return sorted((f["path"], f["line"], f["rule"]) for f in doc["findings"])

    without = scan(sys.executable, "-c", code)
    with_all = run_cli("scan", str(tmp_path / "app"), "--no-store", "--format", "json")
    assert with_all.returncode == 1
    assert without == sorted((f["path"], f["line"], f["rule"])
                             for f in json.loads(with_all.stdout)["findings"])
    where = str(tmp_path / "app" / "settings.env")
    assert without == [(where, 1, "pg.uri.1"), (where, 2, "pg.env.1")]


def test_threads_scan_with_one_locator_at_once() -> None:
    """A Dask worker's threads share one detector: each scan gets its own scratch space."""
    locator = Locator([b"password=", b"postgres://"])
    data = (b"x" * 1000 + b"password=abc postgres://u@h\n") * 5000
    expected = locator.hits(data)
    results: list[list[tuple[int, int]]] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            results.extend(locator.hits(data) for _ in range(10))
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 40 and all(r == expected for r in results)
