"""Odd bytes in scanned input never end a scan: every output stays valid UTF-8 and escaped.

Each case runs the command line in this process and reads its raw output bytes (its
stdout encodes strictly: an unescaped undecodable byte would raise here).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from gitrepo import GitRepo
from typer.testing import CliRunner

from pgsweep.cli import app
from pgsweep.findings.fingerprint import redact


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes


def run_bytes(*args: str) -> Run:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    return Run(result.exit_code, result.stdout_bytes, result.stderr_bytes or b"")


def text_of(proc: Run) -> tuple[str, str]:
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
    depth = 1500
    root = tmp_path / "deep"
    root.mkdir()
    fds = [os.open(root, os.O_RDONLY)]
    try:
        for _ in range(depth):  # relative to the parent's descriptor: linear, no recursion
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        leaf = os.open("x.env", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
        os.write(leaf, b"URL=postgres://app:Vv5Bb6Nn7Mm8@db.example.com/prod\n")
        os.close(leaf)
        proc = run_bytes("scan", str(root), "--no-store", "-f", "jsonl")
        [line] = text_of(proc)[0].splitlines()
        f = json.loads(line)
        assert (f["path"] == str(root) + "/d" * depth + "/x.env", f["user"], f["host"]) == (
            True, "app", "db.example.com")
    finally:
        # pytest removes old temporary folders recursively: leave it nothing this deep
        if len(fds) == depth + 1:
            os.unlink("x.env", dir_fd=fds[-1])
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())


def test_a_baseline_keeps_a_non_utf8_path_and_still_matches_it(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write(os.fsdecode(b"conf\xff.env"),
               "DATABASE_URL=postgres://app:Vv5Bb6Nn7Mm8@db.example.com/prod\n")
    repo.commit("config")
    baseline = tmp_path / "baseline.json"
    text_of(run_bytes("baseline", "create", str(repo.root), "-o", str(baseline)))
    assert [e["path"] for e in json.loads(baseline.read_bytes().decode("utf-8"))["entries"]] == [
        "conf\udcff.env"]
    proc = run_bytes("scan", str(repo.root), "--no-store", "--baseline", str(baseline),
                     "-f", "json")
    doc = json.loads(text_of(proc)[0])
    assert (proc.returncode, doc["findings"], doc["stats"]["suppressed"]) == (
        0, [], {"baseline": 1})
