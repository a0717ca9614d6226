"""pgsweep's own signatures, code and tests hold no leak above low severity."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from pgsweep.core.models import Severity
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.files import FileSource


@pytest.mark.parametrize("folder", ["signatures", "src", "tests", "docs"])
def test_own_tree_reports_nothing_above_low(
    folder: str, all_signatures: list[Signature], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGSWEEP_FINGERPRINT_KEY", "self-scan")  # fast keyed fingerprints
    root = REPO_ROOT / folder
    assert root.is_dir(), f"no {folder}/"
    # the labelled corpus and the hostile inputs are leak-shaped on purpose (pyproject.toml
    # excludes them the same way)
    excludes = ["__pycache__", "*.pyc", "corpus/*", "hostile/*"]
    result = Scanner(all_signatures).run(FileSource(root, excludes=excludes))
    above = [
        (f.rule, f.provenance.path, f.line, str(f.severity))
        for f in result.findings
        if f.severity > Severity.LOW
    ]
    assert above == []
