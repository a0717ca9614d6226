"""The terminal report: every credential says where it leaked, at any width; -q, -v,
--show-info and colours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo, uri

from pgsweep.findings.fingerprint import redact
from pgsweep.jobs.demo import Planted, build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Planted]]:
    root = tmp_path_factory.mktemp("console") / "demo"
    return root, build_demo(root)


@pytest.mark.parametrize("columns", [80, 200])
def test_every_leak_names_its_path_and_line_at_any_width(
    demo: tuple[Path, list[Planted]], columns: int
) -> None:
    root, planted = demo
    proc = run_cli("scan", str(root), "--no-store", env={"COLUMNS": str(columns)})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    for p in planted:
        where = [i for i, ln in enumerate(lines) if ln.strip().startswith(f"{p.path}:{p.line}")]
        assert len(where) == 1, (p.path, proc.stdout)
        # the credential's lines: from its severity line down to the place
        start = max(i for i in range(where[0]) if lines[i][:1].isupper() and lines[i][1:2] != "e")
        block = " ".join(ln.strip() for ln in lines[start:where[0]])
        assert f"{p.user}@{p.host or '?'}" in block and redact(p.secret) in block
        assert p.secret not in proc.stdout
    assert all(len(ln) <= columns for ln in lines), proc.stdout
    # the demo README's and .env.example's placeholders are the two info credentials
    assert lines[-2] == "10 credentials in 10 findings (3 critical, 5 high, 2 info)"
    assert lines[-1].startswith("scanned 11 blobs (1,481 bytes) in ")


@pytest.fixture
def spread(tmp_path: Path) -> tuple[GitRepo, str, str, str]:
    """One password in three files, and in two versions of one of them."""
    pw = make_password()
    gr = GitRepo(tmp_path / "repo")
    for name in ("a.env", "b.env", "c.env"):
        gr.write(name, f"# {name}\nURL={uri('app', pw)}\n")
    first = gr.commit("three copies")
    gr.write("a.env", f"# a.env\n# moved\nURL={uri('app', pw)}\n")
    second = gr.commit("move")
    return gr, pw, first, second


def test_one_place_by_default_every_place_with_verbose(
    spread: tuple[GitRepo, str, str, str]
) -> None:
    gr, _pw, first, _second = spread
    normal = run_cli("scan", str(gr.root), "--no-store").stdout.splitlines()
    places = [ln.strip() for ln in normal if ln.strip().endswith(("versions)", "…)"))
              or ln.strip()[:5] in ("a.env", "b.env", "c.env")]
    assert places == [f"a.env:3  ({first[:8]}, 2 versions)"]
    assert "+2 places (-v lists every place)" in [ln.strip() for ln in normal]
    verbose = [ln.strip() for ln in run_cli("scan", str(gr.root), "--no-store", "-v").stdout
               .splitlines()]
    assert [ln for ln in verbose if ln[:5] in ("a.env", "b.env", "c.env")] == [
        f"a.env:3  ({first[:8]}, 2 versions)", f"b.env:2  ({first[:8]})",
        f"c.env:2  ({first[:8]})"]
    quiet = run_cli("scan", str(gr.root), "--no-store", "-q")
    assert quiet.returncode == 1
    summary = quiet.stdout.splitlines()
    assert len(summary) == 2 and summary[0].startswith("1 credential in 3 findings (1 ")


def test_info_credentials_are_one_count_line_until_show_info(
    spread: tuple[GitRepo, str, str, str], tmp_path: Path
) -> None:
    gr, pw, _, _ = spread
    store = str(tmp_path / "s.db")
    doc = json.loads(run_cli("scan", str(gr.root), "--store", store, "-f", "json").stdout)
    (cid,) = [c["id"] for c in doc["credentials"]]
    run_cli("triage", cid, "--status", "false-positive", "--store", store)
    folded = run_cli("scan", str(gr.root), "--store", store)
    assert folded.returncode == 0  # info is below the default --fail-on
    assert cid not in folded.stdout
    assert "1 info-level credential not listed (--show-info)" in folded.stdout
    shown = run_cli("scan", str(gr.root), "--store", store, "--show-info",
                    env={"COLUMNS": "200"})
    assert f"INFO      app@db.prod.acme-corp.net/app  {redact(pw)}  (false-positive)  {cid}" in (
        shown.stdout)


def test_colours_follow_the_terminal_and_turn_off(spread: tuple[GitRepo, str, str, str]) -> None:
    gr, _, _, _ = spread
    forced = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    assert "\x1b[" in run_cli("scan", str(gr.root), "--no-store", env=forced).stdout
    assert "\x1b[" not in run_cli("scan", str(gr.root), "--no-store", "--no-color",
                                  env=forced).stdout
    assert "\x1b[" not in run_cli("scan", str(gr.root), "--no-store",
                                  env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_staged_findings_name_file_and_line(tmp_path: Path) -> None:
    gr = GitRepo(tmp_path / "repo")
    gr.write("README.md", "hello\n")
    gr.commit("init")
    pw = make_password()
    gr.write("config/app.env", f"# db\nDATABASE_URL={uri('app', pw)}\n")
    gr.git("add", "config/app.env")
    proc = run_cli("scan", str(gr.root), "--staged", "--no-store")
    assert proc.returncode == 1
    assert "config/app.env:2  (not committed)" in [ln.strip() for ln in proc.stdout.splitlines()]
    assert pw not in proc.stdout
