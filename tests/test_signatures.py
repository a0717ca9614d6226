"""Every embedded example of every signature becomes its own named test."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgsweep.detectors import signatures
from pgsweep.jobs.selftest import check_example
from pgsweep.readers import dbeaver, pgadmin, sqltools


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example_case" in metafunc.fixturenames:
        cases, ids = [], []
        for sig in signatures.load():
            for i, ex in enumerate(sig.examples):
                cases.append((sig, ex, True))
                ids.append(f"{sig.id}/example[{i}]")
            for i, ex in enumerate(sig.negative_examples):
                cases.append((sig, ex, False))
                ids.append(f"{sig.id}/negative[{i}]")
        metafunc.parametrize("example_case", cases, ids=ids)


def test_example(example_case: tuple[signatures.Signature, signatures.Example, bool]) -> None:
    sig, ex, positive = example_case
    assert check_example(sig, ex, positive) is None


def test_every_signature_has_examples_and_a_unique_id() -> None:
    sigs = signatures.load()
    assert sigs
    ids = [s.id for s in sigs]
    assert len(ids) == len(set(ids))
    for s in sigs:
        # a handed form has no text to match: its cases are its reader's tests
        assert s.handed or (s.examples and s.negative_examples), s.id


def test_every_handed_form_is_handed_by_a_reader() -> None:
    handed = {s.id for s in signatures.load() if s.handed}
    assert handed == {dbeaver.RULE, pgadmin.RULE, sqltools.RULE}


def test_a_handed_form_has_no_pattern_or_examples(tmp_path: Path) -> None:
    (tmp_path / "h.yml").write_text(
        "id: pg.tool.1\nname: x\ndescription: x\nseverity: high\nhanded: true\n"
        "pattern: 'x'\n")
    with pytest.raises(signatures.SignatureError, match="a handed form has no"):
        signatures.load_file(tmp_path / "h.yml")
    (tmp_path / "h.yml").write_text("id: pg.tool.1\nname: x\ndescription: x\nhanded: true\n")
    with pytest.raises(signatures.SignatureError, match="missing keys"):
        signatures.load_file(tmp_path / "h.yml")


def test_bad_signature_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("id: nope\nname: x\n")
    with pytest.raises(signatures.SignatureError, match="missing keys"):
        signatures.load([tmp_path])


def test_signature_whose_example_fails_is_reported(tmp_path: Path) -> None:
    from pgsweep.jobs.selftest import run_examples

    (tmp_path / "mine.yml").write_text(
        "id: pg.custom.1\nname: custom\ndescription: d\nkeywords: [dbpass]\n"
        "pattern: 'dbpass=(?P<pw>\\S+)'\nfields: {password: pw}\nseverity: high\n"
        "examples: ['dbpass=Zq81-mmXa', 'nothing here']\nnegative_examples: ['dbpass=changeme']\n"
    )
    sigs = [s for s in signatures.load([tmp_path]) if s.id == "pg.custom.1"]
    results = {r.name: r.ok for r in run_examples(sigs)}
    assert results == {
        "pg.custom.1/example[0]": True,
        "pg.custom.1/example[1]": False,
        "pg.custom.1/negative[0]": True,
    }
