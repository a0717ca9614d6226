"""Every `--format` value has a reporter, and every reporter renders a real scan result."""

from __future__ import annotations

import io

import pytest

from pgsweep.core.times import utc_now
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.interface import Format
from pgsweep.reporters.registry import REPORTERS, reporter_for


def test_every_format_has_a_reporter() -> None:
    assert set(REPORTERS) == set(Format)


@pytest.mark.parametrize("fmt", list(Format), ids=str)
def test_reporter_renders_a_real_scan_without_plaintext(
    fmt: Format, leaky_scan: tuple[ScanResult, tuple[str, str]]
) -> None:
    result, passwords = leaky_scan
    assert len(result.findings) == 3
    report = build_report(result, now=utc_now())
    out = io.StringIO()
    reporter_for(fmt).render(report, out)
    text = out.getvalue()
    assert text.strip()
    for pw in passwords:
        assert pw not in text
    # the per-occurrence machine formats name every scanned file
    if fmt.value in {"json", "sarif", "csv", "jsonl"}:
        assert "settings.env" in text and "run.sh" in text
