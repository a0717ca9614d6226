"""One severity everywhere: scan, report, explain and --fail-on read the same plan, with
the store's triage; a triaged credential leaves the rotate-now list."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from pgsweep.jobs.demo import build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("one-severity") / "demo"
    build_demo(root)
    return root


def _severities(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["severity"] for c in doc["credentials"]}


def test_scan_report_and_explain_agree_and_critical_fails(demo: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store.db")
    scan = run_cli("scan", str(demo), "--store", store, "--format", "json")
    assert scan.returncode == 1, scan.stderr
    scanned = json.loads(scan.stdout)
    report = run_cli("report", "--store", store, "--format", "json")
    assert report.returncode == 0, report.stderr
    plan = json.loads(report.stdout)
    from_report = {c["id"]: c["risk"]["severity"] for c in plan["credentials"]}
    assert _severities(scanned) == from_report
    # the production URIs committed on main and still at the tip are critical
    critical = {c["user"] for c in scanned["credentials"] if c["severity"] == "critical"}
    assert critical == {"orders", "migrator", "deploy"}
    # every finding carries its credential's severity; the detector's rating stays apart
    for f in scanned["findings"]:
        assert f["severity"] == _severities(scanned)[f["credential"]]
        # (the demo's README and .env.example placeholders are rated info)
        placeholder = f["path"] in ("README.md", ".env.example")
        assert f["signature_severity"] == ("info" if placeholder else "high")
    assert plan["scanned"] == [str(demo.resolve())]
    cid = next(c["id"] for c in scanned["credentials"] if c["user"] == "orders")
    explained = run_cli("explain", cid, "--store", store)
    assert explained.stdout.splitlines()[1].startswith("severity critical (score ")
    sarif = json.loads(run_cli("scan", str(demo), "--store", store, "-f", "sarif").stdout)
    levels = {r["properties"]["credential"]: (r["level"], r["properties"]["severity"])
              for r in sarif["runs"][0]["results"]}
    assert levels[cid] == ("error", "critical")
    assert run_cli("scan", str(demo), "--no-store", "--fail-on", "critical").returncode == 1


def test_triage_shows_in_scan_and_report_alike(demo: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store.db")
    first = json.loads(run_cli("scan", str(demo), "--store", store, "-f", "json").stdout)
    top = first["credentials"][0]
    assert top["severity"] == "critical"
    tri = run_cli("triage", top["id"], "--status", "accepted", "--note", "sandbox",
                  "--store", store)
    assert tri.returncode == 0, tri.stderr
    for text in (run_cli("scan", str(demo), "--store", store, "-f", "markdown").stdout,
                 run_cli("report", "--store", store).stdout):
        rows = [ln for ln in text.splitlines() if re.match(r"\| \d+ \| \*\*", ln)]
        # the accepted credential keeps its severity but comes last, out of "rotate now"
        assert rows[-1].split(" | ")[1:4] == ["**critical**", "accepted",
                                              f"[{top['id']}](#{top['id']})"]
        assert ("9 leaked credentials to rotate now (2 critical, 5 high, 2 info); 1 more triaged"
                in text)
        assert "Not rotating: the risk was accepted" in text
    html = run_cli("report", "--store", store, "--format", "html").stdout
    rows = [ln for ln in html.splitlines() if ln.startswith('<tr id="row-')]
    assert f'data-credential="{top["id"]}"' in rows[-1] and 'data-status="accepted"' in rows[-1]
    again = json.loads(run_cli("scan", str(demo), "--store", store, "-f", "json").stdout)
    assert [c["status"] for c in again["credentials"]][-1] == "accepted"
    reported = json.loads(run_cli("report", "--store", store, "-f", "json").stdout)
    assert [(c["status"], c["note"]) for c in reported["credentials"]
            if c["id"] == top["id"]] == [("accepted", "sandbox")]
    assert {c["note"] for c in reported["credentials"] if c["id"] != top["id"]} == {None}
    # --fail-on looks at what is still to rotate: two other critical credentials remain
    assert run_cli("scan", str(demo), "--store", store, "--fail-on", "critical").returncode == 1
