"""A broken repository never looks clean: broken refs and corrupt objects make the scan
incomplete (exit 2 unless findings decide it), said in every output and in the store."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, make_password, run_cli
from gitrepo import GitRepo, uri

from pgsweep.store import Store

MISSING = "points to a missing or unreadable object (its history is not scanned)"


def leaky(root: Path, files: int = 3) -> tuple[GitRepo, dict[str, str]]:
    """One commit per file, each file holding its own credential."""
    r = GitRepo(root)
    planted = {}
    for i in range(files):
        pw = make_password()
        planted[f"f{i}.env"] = pw
        r.write(f"f{i}.env", f"DATABASE_URL={uri(f'u{i}', pw)}\n" + f"# padding {i}\n" * 50)
        r.commit(f"add f{i}")
    return r, planted


def clean(root: Path) -> GitRepo:
    r = GitRepo(root)
    r.write("README.md", "nothing to see\n")
    r.commit("readme")
    return r


def scan_json(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    res = run_cli("scan", str(repo), "--no-store", "-f", "json", *args)
    return res, json.loads(res.stdout) if res.stdout.strip() else {}


def secrets_of(doc: dict[str, Any]) -> dict[str, str]:
    """path → credential user, for every finding (the JSON shows redacted secrets)."""
    return {f["path"]: f["user"] for f in doc["findings"]}


def incomplete_error(first: str, more: int = 0) -> str:
    extra = f" and {more} more" if more else ""
    return (f"pgsweep: error: the scan is incomplete ({first}{extra}): its result cannot be "
            "called clean (--allow-incomplete accepts it)\n")


def loose_path(r: GitRepo, oid: str) -> Path:
    return r.root / ".git" / "objects" / oid[:2] / oid[2:]


def damage(path: Path, data: bytes) -> None:
    path.chmod(0o644)
    path.write_bytes(data)


def test_a_ref_to_a_missing_object_is_incomplete_and_exits_2(tmp_path: Path) -> None:
    r = clean(tmp_path / "repo")
    (r.root / ".git/refs/heads/broken").write_text("12" * 20 + "\n")
    res, doc = scan_json(r.root)
    why = f"{r.root}: refs/heads/broken: {MISSING}"
    assert res.returncode == 2
    assert res.stderr == f"pgsweep: warning: {why}\n" + incomplete_error(why)
    assert doc["complete"] is False
    assert doc["stats"]["incomplete"] == [why]
    assert doc["findings"] == []
    # the flag accepts it, and says so
    res, doc = scan_json(r.root, "--allow-incomplete")
    assert res.returncode == 0
    assert res.stderr.splitlines()[-1] == (
        f"pgsweep: warning: the scan is incomplete ({why}); accepted (--allow-incomplete)")
    assert doc["complete"] is False


def test_the_other_refs_are_still_scanned_and_findings_decide(tmp_path: Path) -> None:
    r, _planted = leaky(tmp_path / "repo")
    (r.root / ".git/refs/heads/broken").write_text("12" * 20 + "\n")
    res, doc = scan_json(r.root)
    assert res.returncode == 1, res.stderr
    assert secrets_of(doc) == {"f0.env": "u0", "f1.env": "u1", "f2.env": "u2"}
    assert doc["stats"]["incomplete"] == [f"{r.root}: refs/heads/broken: {MISSING}"]
    assert res.stderr == f"pgsweep: warning: {r.root}: refs/heads/broken: {MISSING}\n"


def test_a_ref_holding_no_object_id_is_incomplete_and_the_rest_is_scanned(
    tmp_path: Path,
) -> None:
    """git's own listing leaves such a ref out (with a warning), yet `--all` dies on it."""
    r, _planted = leaky(tmp_path / "repo", files=2)
    (r.root / ".git/refs/heads/garbage").write_text("not an object id\n")
    res, doc = scan_json(r.root)
    why = f"{r.root}: refs/heads/garbage: {MISSING}"
    assert res.returncode == 1, res.stderr
    assert secrets_of(doc) == {"f0.env": "u0", "f1.env": "u1"}
    assert doc["stats"]["incomplete"] == [why]
    assert res.stderr == f"pgsweep: warning: {why}\n"


def test_more_broken_refs_than_a_command_line_holds_never_look_clean(tmp_path: Path) -> None:
    """12,000 refs with long names to missing objects: too many to exclude on git's command
    line (over 2 MiB), so the walk cannot start. The scan says so, and still reads what the
    default branch holds."""
    r, _planted = leaky(tmp_path / "repo", files=2)
    packed = [f"{r.head()} refs/heads/main"]
    packed += [f"{i + 1:040x} refs/heads/{'b' * 200}{i:06d}" for i in range(12_000)]
    (r.root / ".git/packed-refs").write_text(
        "# pack-refs with: peeled fully-peeled sorted \n" + "\n".join(sorted(
            packed, key=lambda line: line.split()[1])) + "\n")
    (r.root / ".git/refs/heads/main").unlink()
    res, doc = scan_json(r.root)
    assert res.returncode == 1, res.stderr[-500:]
    assert secrets_of(doc) == {"f0.env": "u0", "f1.env": "u1"}
    assert doc["complete"] is False
    assert doc["stats"]["incomplete"][:2] == [
        f"{r.root}: git rev-list failed (cannot run git: Argument list too long)",
        f"{r.root}: refs/heads/{'b' * 200}000000: {MISSING}"]


def test_a_scan_that_cannot_write_its_blob_listing_is_an_error_not_clean(
    tmp_path: Path,
) -> None:
    """No room for the listing of blobs to read (a full disk; here a file size limit of one
    byte) is one error line and exit 2, never an empty, complete scan."""
    r, _planted = leaky(tmp_path / "repo", files=1)
    res = subprocess.run(
        [sys.executable, "-m", "pgsweep", "scan", str(r.root), "--no-store", "-f", "json"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}, capture_output=True,
        text=True, timeout=120, check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1)))
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == (f"pgsweep: error: {r.root}: cannot write the list of blobs to read "
                          "(File too large)\n")


def test_a_detached_head_on_a_missing_commit(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo", files=1)
    (r.root / ".git/HEAD").write_text("34" * 20 + "\n")
    res, doc = scan_json(r.root)
    assert res.returncode == 1, res.stderr  # main is still walked
    assert secrets_of(doc) == {"f0.env": "u0"}
    assert doc["stats"]["incomplete"] == [f"{r.root}: HEAD: {MISSING}"]


def test_a_head_file_naming_nothing_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo", files=1)
    (r.root / ".git/HEAD").write_text("not a ref\n")
    res, doc = scan_json(r.root)
    (why,) = doc["stats"]["incomplete"]
    assert why == (f"{r.root}: git rev-list failed (fatal: not a git repository: "
                   f"'{r.root / '.git'}')")
    assert res.returncode == 2
    assert res.stderr == f"pgsweep: warning: {why}\n" + incomplete_error(why)


def test_a_corrupt_head_commit(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo", files=2)
    damage(loose_path(r, r.head()), b"garbage")
    res, doc = scan_json(r.root)
    why = f"{r.root}: refs/heads/main: {MISSING}"
    assert res.returncode == 2
    assert doc["findings"] == []
    assert doc["stats"]["incomplete"] == [why]
    assert res.stderr == f"pgsweep: warning: {why}\n" + incomplete_error(why)


@pytest.mark.parametrize("damaged", ["HEAD~1", "HEAD~1^{tree}"])
def test_a_corrupt_commit_or_tree_inside_the_history_keeps_what_the_tip_holds(
    tmp_path: Path, damaged: str,
) -> None:
    """The walk stops at the damage; every blob the tip's own tree holds is still read,
    without a commit to attribute it to."""
    r, _planted = leaky(tmp_path / "repo")
    damage(loose_path(r, r.git("rev-parse", damaged)), b"garbage")
    res, doc = scan_json(r.root)
    assert res.returncode == 1, res.stderr
    assert secrets_of(doc) == {"f0.env": "u0", "f1.env": "u1", "f2.env": "u2"}
    assert {f["path"]: (f["commit"], f["present_at_head"]) for f in doc["findings"]
            if f["path"] != "f0.env"} == {"f1.env": (None, True), "f2.env": (None, True)}
    (why,) = doc["stats"]["incomplete"]
    assert why.startswith(f"{r.root}: git rev-list failed (")
    assert doc["complete"] is False


def pack(r: GitRepo) -> Path:
    r.git("gc", "-q", "--aggressive")
    (p,) = (r.root / ".git/objects/pack").glob("*.pack")
    return p


def pack_offsets(r: GitRepo, pack_file: Path) -> dict[str, tuple[int, int]]:
    """oid → (offset, size in pack) from `git verify-pack -v`."""
    out = r.git("verify-pack", "-v", str(pack_file.with_suffix(".idx")))
    offsets = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[1] in ("blob", "commit", "tree", "tag"):
            offsets[parts[0]] = (int(parts[4]), int(parts[3]))
    return offsets


def test_a_corrupt_blob_in_a_pack(tmp_path: Path) -> None:
    r, _planted = leaky(tmp_path / "repo")
    blob = r.blob("HEAD:f1.env")
    p = pack(r)
    offset, size = pack_offsets(r, p)[blob]
    data = bytearray(p.read_bytes())
    for i in range(offset + size // 2, offset + size - 1):
        data[i] ^= 0x5A  # the compressed body, not the object header
    damage(p, bytes(data))
    res, doc = scan_json(r.root)
    assert res.returncode == 1, res.stderr  # the other leaks decide the exit
    assert secrets_of(doc) == {"f0.env": "u0", "f2.env": "u2"}
    (why,) = doc["stats"]["incomplete"]
    assert why in (f"f1.env (blob {blob[:12]}): corrupt object",
                   f"f1.env (blob {blob[:12]}): missing or corrupt object")
    assert doc["complete"] is False


def test_a_truncated_pack(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo")
    p = pack(r)
    data = p.read_bytes()
    damage(p, data[: len(data) // 3])
    res, doc = scan_json(r.root)
    assert res.returncode == 2
    assert doc["findings"] == []
    assert doc["stats"]["incomplete"] == [f"{r.root}: refs/heads/main: {MISSING}"]


def test_a_deleted_loose_blob_outside_a_partial_clone(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo")
    blob = r.blob("HEAD:f2.env")
    loose_path(r, blob).unlink()
    res, doc = scan_json(r.root)
    assert res.returncode == 1
    assert secrets_of(doc) == {"f0.env": "u0", "f1.env": "u1"}
    assert doc["stats"]["incomplete"] == [f"git:{blob}: missing object"]


def test_sarif_and_terminal_say_the_scan_is_incomplete(tmp_path: Path) -> None:
    r = clean(tmp_path / "repo")
    (r.root / ".git/refs/heads/broken").write_text("12" * 20 + "\n")
    why = f"{r.root}: refs/heads/broken: {MISSING}"
    res = run_cli("scan", str(r.root), "--no-store", "-f", "sarif")
    assert res.returncode == 2
    (invocation,) = json.loads(res.stdout)["runs"][0]["invocations"]
    assert invocation == {
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": f"not scanned: {why}"}}],
    }
    res = run_cli("scan", str(r.root), "--no-store")
    assert res.returncode == 2
    words = " ".join(res.stdout.split())  # however the terminal wraps it
    assert words.endswith(
        "INCOMPLETE: 1 part(s) of the input could not be read, so this result is not a "
        f"clean bill: {why}")


def test_an_incomplete_scan_is_recorded_as_such_and_not_remembered(tmp_path: Path) -> None:
    r, _ = leaky(tmp_path / "repo", files=2)
    blob = r.blob("HEAD:f1.env")
    loose_path(r, blob).unlink()  # the refs are fine: their tips could be remembered
    store = tmp_path / "s.db"
    res = run_cli("scan", str(r.root), "--store", str(store))
    assert res.returncode == 1, res.stderr
    with Store.open(store) as s:
        (problem,) = s.scan_problems()
        assert problem.startswith(f"the last scan of {r.root} (")
        assert problem.endswith(f"was incomplete: git:{blob}: missing object")
        assert s.scanned_tips(str(r.root), _any_version(s)) == []  # all read again next time
    res = run_cli("report", "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert res.stderr == (f"pgsweep: warning: {problem}: credentials may be missing from "
                          "this plan\n")
    assert f"> **Incomplete:** {problem}" in res.stdout.replace("\\_", "_")


def test_a_complete_scan_remembers_its_tips(tmp_path: Path) -> None:
    """The other side of the test above: what an incremental rescan relies on."""
    r, _ = leaky(tmp_path / "repo", files=1)
    store = tmp_path / "s.db"
    res = run_cli("scan", str(r.root), "--store", str(store))
    assert res.returncode == 1, res.stderr
    with Store.open(store) as s:
        assert s.scan_problems() == []
        assert s.scanned_tips(str(r.root), _any_version(s)) == [r.head()]


def _any_version(store: Store) -> str:
    """The scan version of the only scan recorded (scanned tips are kept per version)."""
    assert store.path is not None
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute("SELECT scan_version FROM scans").fetchall()
    (version,) = {v for (v,) in rows}
    return str(version)


@pytest.mark.parametrize("allow", [False, True])
def test_a_partial_clone_is_complete(tmp_path: Path, allow: bool) -> None:
    """Blobs a promisor remote holds are left out on purpose: counted, not incomplete."""
    r = GitRepo(tmp_path / "repo")
    r.write("big.env", f"DB={uri('big', make_password())}\n" + "#\n" * 5000)
    r.write("README.md", "hello\n")
    r.commit("two")
    r.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--no-checkout", "--filter=blob:limit=1k",
                    f"file://{r.root}", str(clone)], check=True, capture_output=True)
    res, doc = scan_json(clone, *(["--allow-incomplete"] if allow else []))
    assert res.returncode == 0, res.stderr
    assert doc["complete"] is True
    assert doc["stats"]["skipped"] == {"missing object (partial clone: not fetched)": 1}


def test_a_broken_ref_named_after_a_leaked_password_never_shows_it(tmp_path: Path) -> None:
    """Every line and counter that names the ref (stderr, stats, the store's record of the
    incomplete scan) shows the password masked, as it does everywhere else."""
    r, planted = leaky(tmp_path / "repo", files=1)
    pw = planted["f0.env"]
    (r.root / f".git/refs/heads/leak-{pw}").write_text("12" * 20 + "\n")
    why = f"{r.root}: refs/heads/leak-[REDACTED]: {MISSING}"
    store = tmp_path / "s.db"
    res = run_cli("scan", str(r.root), "--store", str(store), "-f", "json")
    doc = json.loads(res.stdout)
    assert res.returncode == 1, res.stderr
    assert secrets_of(doc) == {"f0.env": "u0"}
    assert res.stderr == f"pgsweep: warning: {why}\n"
    assert doc["stats"]["incomplete"] == [why]
    assert doc["stats"]["skipped"] == {f"refs/heads/leak-[REDACTED]: {MISSING}": 1}
    assert pw[:6] not in res.stdout + res.stderr
    for fmt in ("sarif", "csv", "markdown", "html", "terminal"):
        out = run_cli("scan", str(r.root), "--no-store", "-f", fmt)
        assert pw[:6] not in out.stdout + out.stderr, fmt
    report = run_cli("report", "--store", str(store))
    assert f"refs/heads/leak-{pw}" not in report.stdout + report.stderr
    assert pw[:6] not in report.stdout + report.stderr
