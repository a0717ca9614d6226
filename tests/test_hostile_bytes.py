"""Odd bytes in scanned input never end a scan: every output stays valid UTF-8 and escaped.

Each case runs `python -m pgsweep` as a user would and reads its raw output bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from gitrepo import GitRepo

from pgsweep.fingerprint import redact


def run_bytes(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "pgsweep", *args], capture_output=True,
                          env=env, timeout=600, check=False)


def text_of(proc: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    """stdout and stderr, which must decode as strict UTF-8 and hold no traceback."""
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert "Traceback" not in out + err and "internal error" not in err, err
    return out, err


@pytest.fixture
def odd_password(tmp_path: Path) -> Path:
    """A password that starts with the byte 0xff next to an ordinary leak."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "run.sh").write_bytes(
        b"PGPASSWORD=\xffbcd7Efgh2Jk psql -h db.prod.example.com -U app\n"
        b"DATABASE_URL=postgres://alice:Rt6Yu8Io2Pq4@db2.example.com/prod\n"
    )
    return root


@pytest.mark.parametrize("fmt", ["terminal", "json", "jsonl", "csv", "sarif", "markdown", "html"])
def test_a_password_with_a_non_utf8_byte_is_found_stored_and_reported(
    odd_password: Path, tmp_path: Path, fmt: str
) -> None:
    proc = run_bytes("scan", str(odd_password), "--no-progress", "--store",
                     str(tmp_path / "s.db"), "-f", fmt)
    out, _ = text_of(proc)
    assert proc.returncode == 1
    odd = redact("\udcffbcd7Efgh2Jk")
    assert odd == "\\xffb…Jk (12 chars)"
    assert "bcd7Efgh2Jk" not in out and "Rt6Yu8Io2Pq4" not in out
    if fmt == "json":
        doc = json.loads(out)
        assert sorted((f["user"], f["host"], f["secret"]) for f in doc["findings"]) == [
            ("alice", "db2.example.com", redact("Rt6Yu8Io2Pq4")),
            ("app", "db.prod.example.com", odd),
        ]
    elif fmt in ("terminal", "csv", "jsonl", "markdown", "html"):
        assert odd in out and redact("Rt6Yu8Io2Pq4") in out
    report = run_bytes("report", "--store", str(tmp_path / "s.db"), "-f", "json")
    plan = json.loads(text_of(report)[0])
    assert sorted(c["secret"] for c in plan["credentials"]) == sorted(
        [odd, redact("Rt6Yu8Io2Pq4")])


def test_reveal_shows_the_undecodable_byte_escaped(odd_password: Path) -> None:
    proc = run_bytes("scan", str(odd_password), "--no-store", "-f", "jsonl", "--reveal")
    out, _ = text_of(proc)
    secrets = sorted(json.loads(line)["secret"] for line in out.splitlines())
    assert secrets == ["Rt6Yu8Io2Pq4", "\\xffbcd7Efgh2Jk"]


def test_a_non_utf8_file_name_at_head_of_a_git_repository(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    name = os.fsdecode(b"conf\xff.env")
    repo.write(name, "DATABASE_URL=postgres://app:Vv5Bb6Nn7Mm8@db.example.com/prod\n")
    repo.write("other.env", "DATABASE_URL=postgres://bob:Qq2Ww3Ee4Rr5@db2.example.com/prod\n")
    repo.commit("configs")
    proc = run_bytes("scan", str(repo.root), "--no-progress", "--store",
                     str(tmp_path / "s.db"), "-f", "json")
    doc = json.loads(text_of(proc)[0])
    assert proc.returncode == 1
    assert sorted((f["path"], f["user"], f["present_at_head"]) for f in doc["findings"]) == [
        ("conf\\xff.env", "app", True), ("other.env", "bob", True)]
    sarif = run_bytes("scan", str(repo.root), "--no-store", "-f", "sarif")
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in json.loads(text_of(sarif)[0])["runs"][0]["results"])
    assert uris == ["conf%FF.env", "other.env"]


def test_markup_and_escape_sequences_in_a_user_name_reach_no_terminal(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    pgpass = root / ".pgpass"
    pgpass.write_bytes(b"db.example.com:5432:prod:us[/bad]er:Kk8Jj7Hh6Gg5\n"
                       b"db\x1b]0;owned\x07.example.com:5432:prod:ev\x1b[31mil:Zz8Xx7Cc6Vv5\n")
    pgpass.chmod(0o600)
    proc = run_bytes("scan", str(root), "--no-store", "--no-progress")
    out, _ = text_of(proc)
    assert proc.returncode == 1
    assert "us[/bad]er@db.example.com" in out
    assert "ev\\x1b[31mil@db\\x1b]0;owned\\x07.example.com" in out
    assert "\x1b" not in out and "\x07" not in out
    for fmt in ("markdown", "csv", "html"):
        text = text_of(run_bytes("scan", str(root), "--no-store", "-f", fmt))[0]
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[31mil" in text.replace("\\\\", "\\") or "\\x1b\\[31mil" in text


def test_a_csv_cell_never_starts_a_formula(tmp_path: Path) -> None:
    root = tmp_path / "home"
    root.mkdir()
    pgpass = root / ".pgpass"
    pgpass.write_text("db.example.com:5432:prod:=HYPERLINK(\"x\"):Kk8Jj7Hh6Gg5\n"
                      "db.example.com:5432:prod: @SUM(1+1):Zz8Xx7Cc6Vv5\n")
    pgpass.chmod(0o600)
    out = text_of(run_bytes("scan", str(root), "--no-store", "-f", "csv"))[0]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["user"] for r in rows) == ["' @SUM(1+1)", "'=HYPERLINK(\"x\")"]


def test_a_folder_tree_1500_levels_deep(tmp_path: Path) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    here = root
    try:
        for _ in range(1500):  # one level at a time: pathlib's mkdir(parents=True) recurses
            here = here / "d"
            here.mkdir()
        (here / "x.env").write_text("URL=postgres://app:Vv5Bb6Nn7Mm8@db.example.com/prod\n")
        proc = run_bytes("scan", str(root), "--no-store", "-f", "jsonl")
        [line] = text_of(proc)[0].splitlines()
        f = json.loads(line)
        assert (f["path"] == str(here / "x.env"), f["user"], f["host"]) == (
            True, "app", "db.example.com")
    finally:
        # pytest removes old temporary folders recursively: leave it nothing this deep
        for name in ("x.env",):
            (here / name).unlink(missing_ok=True)
        while here != tmp_path:
            here.rmdir()
            here = here.parent
