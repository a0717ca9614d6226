"""Places, not versions: a credential carried through many versions of one file is one
finding, with its introducing and latest commits, in every output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_password, run_cli
from gitrepo import AUTHOR, EMAIL, GitRepo, date_of, uri

from pgsweep.findings.fingerprint import redact


@pytest.fixture
def moving(tmp_path: Path) -> tuple[GitRepo, tuple[str, str], tuple[str, str, str]]:
    """`kept` moves down config/app.env over three commits and stays; `gone` is in two
    versions of old/db.env, then the file is deleted."""
    kept, gone = make_password(), make_password()
    gr = GitRepo(tmp_path / "repo")
    gr.write("config/app.env", f"DATABASE_URL={uri('app', kept)}\n")
    gr.write("old/db.env", f"A={uri('old', gone, host='db.corp.internal')}\n")
    first = gr.commit("add config")
    gr.write("config/app.env", f"# header\nDATABASE_URL={uri('app', kept)}\n")
    gr.write("old/db.env", f"# two\nA={uri('old', gone, host='db.corp.internal')}\n")
    second = gr.commit("move lines")
    gr.git("rm", "-q", "old/db.env")
    gr.write("config/app.env", f"# header\n# more\n\nDATABASE_URL={uri('app', kept)}\n")
    third = gr.commit("drop old, move again")
    return gr, (kept, gone), (first, second, third)


def _scan(repo: Path, *args: str) -> dict[str, Any]:
    proc = run_cli("scan", str(repo), "--no-store", *args)
    assert proc.returncode == 1, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_one_finding_per_credential_and_path(
    moving: tuple[GitRepo, tuple[str, str], tuple[str, str, str]]
) -> None:
    gr, (kept, gone), (first, second, third) = moving
    doc = _scan(gr.root, "--format", "json")
    got = sorted(
        (f["path"], f["line"], f["user"], f["secret"], f["versions"], f["commit"],
         f["last_commit"], f["present_at_head"], f["author"], f["date"])
        for f in doc["findings"])
    assert got == [
        # still at the tip: shown at the tip's line
        ("config/app.env", 4, "app", redact(kept), 3, first, third, True,
         f"{AUTHOR} <{EMAIL}>", date_of(1)),
        # deleted: shown where it was introduced
        ("old/db.env", 1, "old", redact(gone), 2, first, second, False,
         f"{AUTHOR} <{EMAIL}>", date_of(1)),
    ]
    for c in doc["credentials"]:
        assert len(c["findings"]) == 1
    assert "version_findings" not in doc["findings"][0]
    detailed = _scan(gr.root, "--format", "json", "--all-versions")
    by_path = {f["path"]: f for f in detailed["findings"]}
    assert [(v["line"], v["commit"]) for v in by_path["config/app.env"]["version_findings"]] == [
        (1, first), (2, second), (4, third)]
    rows = run_cli("scan", str(gr.root), "--no-store", "--format", "csv").stdout.splitlines()
    assert len(rows) == 3 and rows[0].endswith(",last_commit,versions")


def _results(repo: Path) -> list[dict[str, Any]]:
    doc = _scan(repo, "--format", "sarif")
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        text = rule["help"]["text"]
        assert text.startswith("What leaked: a PostgreSQL password")
        assert "Why it matters: " in text and "How to fix it: Rotate the password first" in text
    results: list[dict[str, Any]] = doc["runs"][0]["results"]
    return results


def test_sarif_has_one_result_per_place_and_fingerprints_survive_line_moves(
    moving: tuple[GitRepo, tuple[str, str], tuple[str, str, str]]
) -> None:
    gr, (kept, gone), (first, _, _) = moving
    before = _results(gr.root)
    where = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    r["locations"][0]["physicalLocation"]["region"]["startLine"],
                    r["properties"]["commit"], r["properties"]["presentAtHead"],
                    r["properties"]["versions"]) for r in before)
    assert where == [("config/app.env", 4, first, True, 3), ("old/db.env", 1, first, False, 2)]
    gone_result = next(r for r in before if r["properties"]["presentAtHead"] is False)
    assert f"introduced in {first[:12]}" in gone_result["message"]["text"]
    # the leak moves again: same alerts, same fingerprints, the new line
    gr.write("config/app.env", "\n" * 5 + f"DATABASE_URL={uri('app', kept)}\n")
    gr.commit("move once more")
    after = _results(gr.root)
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after} == {
        6, 1}
    assert ({json.dumps(r["partialFingerprints"], sort_keys=True) for r in after}
            == {json.dumps(r["partialFingerprints"], sort_keys=True) for r in before})
    for r in after:
        assert kept not in json.dumps(r) and gone not in json.dumps(r)


def test_the_plan_lists_each_place_once(
    moving: tuple[GitRepo, tuple[str, str], tuple[str, str, str]], tmp_path: Path
) -> None:
    gr, _, (first, second, third) = moving
    store = str(tmp_path / "s.db")
    assert run_cli("scan", str(gr.root), "--store", store, "-f", "json").returncode == 1
    plan = json.loads(run_cli("report", "--store", store, "-f", "json").stdout)
    locs = sorted((loc["where"].rsplit(":", 1)[-1], loc["line"], loc["versions"],
                   loc["commit"], loc["last_commit"])
                  for c in plan["credentials"] for loc in c["locations"])
    assert locs == [("config/app.env", 4, 3, first, third),
                    ("old/db.env", 1, 2, first, second)]
