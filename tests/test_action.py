"""The GitHub Action: its metadata, and its scan step run on a real repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import REPO_ROOT, make_password
from gitrepo import GitRepo

ACTION = REPO_ROOT / "action.yml"
SCRIPT = REPO_ROOT / "action" / "scan.sh"


def test_action_metadata() -> None:
    meta = yaml.safe_load(ACTION.read_text())
    assert meta["runs"]["using"] == "composite"
    steps = meta["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/setup-python@")
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert set(meta["inputs"]) >= {"path", "fail-on", "since", "baseline", "sarif-file"}
    for step in steps:  # no input or event field is pasted into a shell script
        assert "${{" not in step.get("run", ""), step["name"]
    scan = next(s for s in steps if s.get("id") == "scan")
    assert scan["env"]["PUSH_BEFORE"] == "${{ github.event.before }}"


def _shim(bin_dir: Path) -> dict[str, str]:
    """`pgsweep` and `python` on PATH, as `pip install` in the action provides them."""
    bin_dir.mkdir()
    (bin_dir / "pgsweep").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pgsweep "$@"\n')
    (bin_dir / "pgsweep").chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(REPO_ROOT / "src")}


def _run_step(tmp: Path, repo: Path, shim: dict[str, str], **inputs: str) -> dict[str, object]:
    out, summary = tmp / "out.txt", tmp / "summary.md"
    out.write_text("")
    env = {**os.environ, **shim, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary),
           "INPUT_PATH": str(repo), "INPUT_SARIF": str(tmp / "pgsweep.sarif"), **inputs}
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    sarif = json.loads((tmp / "pgsweep.sarif").read_text())
    results = [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"], r["properties"]["user"])
        for r in sarif["runs"][0]["results"]
    ]
    return {"outputs": outputs, "results": sorted(results), "log": proc.stdout + proc.stderr}


def test_scan_step_scans_the_pushed_range(tmp_path: Path) -> None:
    old, new = make_password(), make_password()
    gr = GitRepo(tmp_path / "repo")
    gr.write("old.env", f"A=postgres://olduser:{old}@db.corp.net/prod\n")
    before = gr.commit("old leak")
    # an internal host: high, below critical (the quiet run below)
    gr.write("new.env", f"# new\nB=postgres://newuser:{new}@db.corp.internal/prod\n")
    gr.commit("new leak")
    repo = gr.root
    shim = _shim(tmp_path / "bin")

    pushed = _run_step(tmp_path, repo, shim, PUSH_BEFORE=before)
    assert pushed["results"] == [("new.env", 2, "newuser")]
    assert pushed["outputs"] == {"exit-code": "1", "sarif-file": str(tmp_path / "pgsweep.sarif"),
                                 "range": f"since {before}"}
    assert "pgsweep (since" in (tmp_path / "summary.md").read_text()

    first_push = _run_step(tmp_path, repo, shim, PUSH_BEFORE="0" * 40)
    assert first_push["results"] == [("new.env", 2, "newuser"), ("old.env", 1, "olduser")]
    assert first_push["outputs"]["range"] == "full history"

    shallow = _run_step(tmp_path, repo, shim, PUSH_BEFORE="ab" * 20)
    assert shallow["outputs"]["range"] == "full history"
    assert "fetch-depth: 0" in str(shallow["log"])

    quiet = _run_step(tmp_path, repo, shim, PUSH_BEFORE=before, INPUT_FAIL_ON="critical")
    assert quiet["outputs"]["exit-code"] == "0" and quiet["results"] == [("new.env", 2, "newuser")]
    for run in (pushed, first_push, shallow, quiet):
        assert old not in str(run) and new not in str(run)
    assert new not in (tmp_path / "pgsweep.sarif").read_text()
