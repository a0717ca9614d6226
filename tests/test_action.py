"""The GitHub Action: action.yml's own `run:` steps, run with bash in a GitHub-like
environment (step outputs, job summary, event file) against real git repositories.

Steps that `uses:` another action are stood in for: setup-python hands over this
interpreter without touching PATH (as `update-environment: false` does), the cache has
pgsweep's virtualenv already (a shim running this checkout, so nothing is downloaded), and
the SARIF upload is recorded with its inputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from conftest import REPO_ROOT, make_password
from gitrepo import GitRepo

from pgsweep import __version__

ACTION = REPO_ROOT / "action.yml"
META = yaml.safe_load(ACTION.read_text())
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ZERO = "0" * 40


def _expr(text: str, ctx: dict[str, Any]) -> str:
    """`${{ a.b.c }}` lookups, the only expressions the action's step env uses."""

    def one(m: re.Match[str]) -> str:
        path = m.group(1)
        assert re.fullmatch(r"[a-z][\w-]*(\.[\w-]+)+", path), f"not a plain lookup: {path}"
        cur: Any = ctx
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return "" if cur is None else str(cur)

    return EXPR.sub(one, text)


def _outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        assert "<<" not in line, line  # single-line outputs only
        key, _, value = line.partition("=")
        out[key] = value
    return out


class Run:
    """One run of the action: every step's outputs, the log, the summary, the verdict."""

    def __init__(self, tmp: Path, workspace: Path, inputs: dict[str, str],
                 event: dict[str, Any]) -> None:
        self.tmp = tmp
        runner_temp = tmp / "runner-temp"
        venv = runner_temp / "pgsweep-action" / "venv" / "bin"  # the cached install
        venv.mkdir(parents=True, exist_ok=True)
        for name, cmd in (("pgsweep", f'"{sys.executable}" -m pgsweep'),
                          ("python", f'"{sys.executable}"')):
            (venv / name).write_text(f'#!/bin/sh\nexec {cmd} "$@"\n')
            (venv / name).chmod(0o755)
        defaults = {k: v.get("default", "") for k, v in META["inputs"].items()}
        event_path = tmp / "event.json"
        event_path.write_text(json.dumps(event))
        self.ctx: dict[str, Any] = {
            "inputs": {**defaults, **inputs},
            "github": {"event": event, "action_path": str(REPO_ROOT)},
            "runner": {"temp": str(runner_temp)},
            "steps": {},
        }
        files = {name: tmp / f"{name}.txt" for name in ("summary", "env", "path")}
        for f in files.values():
            f.write_text("")
        self.base_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
            "PYTHONPATH": str(REPO_ROOT / "src"),
            "GITHUB_ACTION_PATH": str(REPO_ROOT), "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_ENV": str(files["env"]), "GITHUB_PATH": str(files["path"]),
            "RUNNER_TEMP": str(runner_temp), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
        }
        self.files = files
        self.workspace = workspace
        self.log = ""
        self.uploaded: dict[str, str] | None = None
        self.failed_step: str | None = None
        for step in META["runs"]["steps"]:
            if not self._step(step):
                self.failed_step = step["name"]
                break

    def _step(self, step: dict[str, Any]) -> bool:
        outputs: dict[str, str] = {}
        uses = step.get("uses", "")
        if uses.startswith("actions/setup-python@"):
            assert step["with"]["update-environment"] is False  # the job's Python is left alone
            outputs = {"python-path": sys.executable, "python-version": "3.11"}
        elif uses.startswith("github/codeql-action/upload-sarif@"):
            # the condition, evaluated here as GitHub would
            assert step["if"] == ("always() && inputs.upload-sarif == 'true' && "
                                  "steps.scan.outputs.sarif-file != ''")
            if (self.ctx["inputs"]["upload-sarif"] == "true"
                    and self.ctx["steps"]["scan"]["outputs"].get("sarif-file")):
                self.uploaded = {k: _expr(v, self.ctx) for k, v in step["with"].items()}
        elif uses:
            assert uses.startswith("actions/cache@"), uses
        else:
            assert "if" not in step, "run steps always run: the scripts decide"
            assert "${{" not in step["run"], step["name"]
            out = self.tmp / "step-output.txt"
            out.write_text("")
            env = {**self.base_env, "GITHUB_OUTPUT": str(out),
                   **{k: _expr(str(v), self.ctx) for k, v in step.get("env", {}).items()}}
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace, env=env, capture_output=True, text=True, timeout=120,
            )
            self.log += proc.stdout + proc.stderr
            outputs = _outputs(out)
            if proc.returncode != 0:
                return False
        if "id" in step:
            self.ctx["steps"][step["id"]] = {"outputs": outputs}
        return True

    @property
    def outputs(self) -> dict[str, str]:
        """The action's outputs, as a workflow sees them."""
        return {k: _expr(v["value"], self.ctx) for k, v in META["outputs"].items()}

    @property
    def summary(self) -> str:
        return self.files["summary"].read_text()

    def results(self) -> list[tuple[str, int, str, str]]:
        sarif = json.loads((self.workspace / self.outputs["sarif-file"]).read_text())
        return sorted(
            (unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
             r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["properties"]["user"], r["properties"]["severity"])
            for r in sarif["runs"][0]["results"]
        )

    def assert_job_env_untouched(self) -> None:
        assert self.files["env"].read_text() == "" and self.files["path"].read_text() == ""


def _leak(user: str, pw: str, host: str) -> str:
    return f"DB=postgres://{user}:{pw}@{host}/prod\n"


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[GitRepo, str, dict[str, str]]:
    """`origin` with an old leak on main; a clone with a new leak on a pushed branch."""
    pw = {"old": make_password(), "new": make_password(), "spaced": make_password()}
    origin = GitRepo(tmp_path / "origin")
    origin.write("old.env", _leak("olduser", pw["old"], "db.corp.net"))
    before = origin.commit("old leak")
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(origin.root), str(work)], check=True)
    repo = GitRepo.__new__(GitRepo)
    repo.root, repo.tick = work, 1
    # an internal host: high, below critical
    repo.write("new.env", f"# new\n{_leak('newuser', pw['new'], 'db.corp.internal')}")
    repo.write("my secrets/x.env", _leak("spaceduser", pw["spaced"], "db.corp.internal"))
    repo.commit("new leaks")
    return repo, before, pw


NEW = [("my secrets/x.env", 1, "spaceduser", "high"), ("new.env", 2, "newuser", "high")]
OLD = [("old.env", 1, "olduser", "critical")]


def test_a_push_scans_the_pushed_commits_and_summarises(
    tmp_path: Path, pushed: tuple[GitRepo, str, dict[str, str]]
) -> None:
    repo, before, pw = pushed
    stale = repo.root / "pgsweep.sarif"
    stale.write_text('{"runs": [{"results": []}]}')  # an earlier step's report
    run = Run(tmp_path, repo.root, {}, {"before": before, "forced": False,
                                        "repository": {"default_branch": "main"}})
    assert run.failed_step == "Fail on new findings", run.log
    assert run.results() == NEW
    assert run.outputs == {"count": "2", "highest-severity": "high",
                           "sarif-file": "pgsweep.sarif", "exit-code": "1",
                           "range": f"since {before}", "version": __version__}
    assert run.uploaded == {"sarif_file": "pgsweep.sarif", "category": "pgsweep-new"}
    summary = run.summary
    assert summary.startswith("### pgsweep: 2 leaked PostgreSQL credentials (2 high)\n")
    assert "| high | 2 |" in summary
    assert "<code>newuser@db.corp.internal</code> | <code>new.env:2</code>" in summary
    assert "::error title=pgsweep::new leaked PostgreSQL credentials" in run.log
    for secret in pw.values():
        assert secret not in run.log + summary + stale.read_text()
    run.assert_job_env_untouched()


def test_args_keep_their_quoting(
    tmp_path: Path, pushed: tuple[GitRepo, str, dict[str, str]]
) -> None:
    repo, before, _ = pushed
    run = Run(tmp_path, repo.root, {"args": "--exclude 'my secrets/'", "fail-on": "critical"},
              {"before": before})
    assert run.failed_step is None, run.log
    assert run.results() == [NEW[1]]
    assert (run.outputs["exit-code"], run.outputs["count"]) == ("0", "1")
    assert "none at or above fail-on" in run.summary

    broken = Run(tmp_path, repo.root, {"args": "--exclude 'my secrets/"}, {"before": before})
    assert broken.failed_step == "Scan"
    assert "the args input is not valid shell words" in broken.log


@pytest.mark.parametrize("before, forced, scanned", [
    (ZERO, False, "commits not on origin/main"),           # a new branch
    ("ab" * 20, True, "commits not on origin/main"),       # a force-push dropped the old tip
])
def test_a_new_branch_or_a_force_push_scans_what_the_default_branch_lacks(
    tmp_path: Path,
    pushed: tuple[GitRepo, str, dict[str, str]],
    before: str,
    forced: bool,
    scanned: str,
) -> None:
    repo, _, _ = pushed
    run = Run(tmp_path, repo.root, {}, {"before": before, "forced": forced,
                                        "repository": {"default_branch": "main"}})
    assert run.outputs["range"] == scanned
    assert run.results() == NEW
    assert run.uploaded is not None and run.uploaded["category"] == "pgsweep-new"
    assert ("force-push: the branch's previous tip" in run.log) is forced


def test_the_default_branch_itself_or_no_base_scans_the_full_history(
    tmp_path: Path, pushed: tuple[GitRepo, str, dict[str, str]]
) -> None:
    repo, _, _ = pushed
    # the checkout of a push to main: origin/main is the pushed commit
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    forced = Run(tmp_path, repo.root, {}, {"before": "cd" * 20, "forced": True,
                                           "repository": {"default_branch": "main"}})
    assert forced.outputs["range"] == "full history"
    assert forced.results() == sorted(NEW + OLD)
    assert forced.outputs["highest-severity"] == "critical"
    assert forced.uploaded is not None and forced.uploaded["category"] == "pgsweep"
    manual = Run(tmp_path, repo.root, {}, {})  # workflow_dispatch: no before, no base
    assert manual.outputs["range"] == "full history"
    assert "::warning" not in manual.log


def test_a_failed_scan_reads_no_report(
    tmp_path: Path, pushed: tuple[GitRepo, str, dict[str, str]]
) -> None:
    repo, _, _ = pushed
    (repo.root / "pgsweep.sarif").write_text('{"runs": [{"results": []}]}')
    run = Run(tmp_path, repo.root, {"since": "v9"}, {})
    assert run.outputs["exit-code"] == "2"
    assert (run.outputs["count"], run.outputs["sarif-file"]) == ("", "")
    assert not (repo.root / "pgsweep.sarif").exists()
    assert run.uploaded is None and run.failed_step == "Fail on new findings"
    assert run.summary.startswith("### pgsweep did not finish (exit 2)")


def test_the_install_key_names_python_and_the_sources(tmp_path: Path) -> None:
    prepare = next(s for s in META["runs"]["steps"] if s.get("id") == "prepare")
    keys = []
    for version in ("", "", "1.2.0"):
        out = tmp_path / "out.txt"
        out.write_text("")
        env = {**os.environ, "GITHUB_OUTPUT": str(out), "GITHUB_ACTION_PATH": str(REPO_ROOT),
               "RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
               "PYTHON": sys.executable, "INPUT_VERSION": version}
        subprocess.run(["bash", "-eo", "pipefail", "-c", prepare["run"]], env=env, check=True)
        keys.append(_outputs(out))
    assert keys[0] == keys[1]
    assert keys[0]["requirement"] == str(REPO_ROOT)
    assert keys[2]["requirement"] == "pgsweep==1.2.0" and keys[2]["key"] != keys[0]["key"]
    assert keys[0]["venv"] == f"{tmp_path}/pgsweep-action/venv"


def test_a_cached_install_of_another_version_is_not_used(
    tmp_path: Path, pushed: tuple[GitRepo, str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, before, _ = pushed
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the reinstall it must attempt stays offline
    run = Run(tmp_path, repo.root, {"version": "9.9.9"}, {"before": before})
    assert run.failed_step == "Install pgsweep"
    assert "using the cached install" not in run.log
    assert "pgsweep==9.9.9" in run.log  # pip names what it could not find
