"""Targets in the store: places told apart per repository, `--target` filters, forgetting one,
`triage --note` alone, and one id rule for `explain` and `triage`."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from conftest import make_password
from conftest import run_cli_here as run_cli
from gitrepo import GitRepo

from pgsweep.store import Store

HOST = "db.corp.net"


def leak(repo: GitRepo, password: str, user: str = "app") -> str:
    repo.write("config/db.py", f'DSN = "postgresql://{user}:{password}@{HOST}/app"\n')
    return repo.commit("config")


def plan(*args: str) -> dict[str, Any]:
    proc = run_cli("report", "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def places(doc: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return sorted((c["id"], c["user"], loc["where"], loc["line"])
                  for c in doc["credentials"] for loc in c["locations"])


def test_two_repositories_scanned_as_dot_are_told_apart_and_filtered(tmp_path: Path) -> None:
    shared, only_a, only_b = make_password(), make_password(), make_password()
    a, b = GitRepo(tmp_path / "a"), GitRepo(tmp_path / "b")
    leak(a, shared)  # the same file content: one blob, one occurrence, in both repositories
    leak(b, shared)
    a.write("deploy.sh", f"psql postgresql://ops:{only_a}@{HOST}/app\n")
    a.commit("deploy")
    b.write("deploy.sh", f"psql postgresql://ci:{only_b}@{HOST}/app\n")
    b.commit("deploy")
    db = str(tmp_path / "s.db")
    for repo in (a, b):
        assert run_cli("scan", ".", "--store", db, cwd=repo.root).returncode == 1

    listing = run_cli("targets", "--store", db)
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[3], r[-1]) for r in rows] == [
        ("1", "git", "2", "2", str(a.root)), ("2", "git", "2", "2", str(b.root))]

    everything = plan("--store", db)
    ids = {c["user"]: c["id"] for c in everything["credentials"]}
    assert places(everything) == sorted([
        (ids["app"], "app", f"{b.root}:config/db.py", 1),  # last written by the scan of b
        (ids["ops"], "ops", f"{a.root}:deploy.sh", 1),
        (ids["ci"], "ci", f"{b.root}:deploy.sh", 1),
    ])
    # per target, the shared occurrence is shown in that target's repository
    assert places(plan("--store", db, "--target", str(a.root))) == sorted([
        (ids["app"], "app", f"{a.root}:config/db.py", 1),
        (ids["ops"], "ops", f"{a.root}:deploy.sh", 1),
    ])
    assert places(plan("--store", db, "--target", "2")) == sorted([
        (ids["app"], "app", f"{b.root}:config/db.py", 1),
        (ids["ci"], "ci", f"{b.root}:deploy.sh", 1),
    ])
    relative = run_cli("report", "--format", "json", "--store", db, "--target", ".",
                       cwd=a.root)
    assert places(json.loads(relative.stdout)) == places(
        plan("--store", db, "--target", str(a.root)))

    scoped = run_cli("explain", ids["ci"], "--store", db, "--target", str(a.root))
    assert scoped.returncode == 2
    assert scoped.stderr == (
        f"pgsweep: error: no credential {ids['ci']} of target {a.root} in {db}\n")
    unknown = run_cli("report", "--store", db, "--target", str(tmp_path / "c"))
    assert unknown.returncode == 2
    assert unknown.stderr == (
        f"pgsweep: error: no target '{tmp_path / 'c'}' in {db} (`pgsweep targets` lists them)\n")

    # forgetting a keeps what b saw too (and its triage), drops what only a saw
    assert run_cli("triage", ids["app"], "--status", "accepted", "--store", db).returncode == 0
    assert run_cli("triage", ids["ops"], "--status", "accepted", "--store", db).returncode == 0
    gone = run_cli("targets", "forget", str(a.root), "--store", db)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout == f"forgot target #1 ({a.root}): 1 credential(s) and 1 place(s) removed\n"
    assert places(plan("--store", db)) == sorted([
        (ids["app"], "app", f"{b.root}:config/db.py", 1),
        (ids["ci"], "ci", f"{b.root}:deploy.sh", 1),
    ])
    with Store.open(Path(db)) as store:
        states = store.triage_states()
        assert states[ids["app"]].status == "accepted"
        assert ids["ops"] not in states
        assert [t.path for t in store.targets()] == [str(b.root)]
        assert store.scanned_tips(str(a.root), "any") == []
    again = run_cli("targets", "forget", "1", "--store", db)
    assert again.returncode == 2
    assert again.stderr == f"pgsweep: error: no target '1' in {db} (`pgsweep targets` lists them)\n"

    # a forgotten repository scanned again is new: a full scan, not an incremental one
    assert run_cli("scan", ".", "--store", db, cwd=a.root).returncode == 1
    assert places(plan("--store", db, "--target", str(a.root))) == sorted([
        (ids["app"], "app", f"{a.root}:config/db.py", 1),
        (ids["ops"], "ops", f"{a.root}:deploy.sh", 1),
    ])


def test_folders_scanned_by_relative_paths_show_absolute_places(tmp_path: Path) -> None:
    pw = make_password()
    for name in ("one", "two"):
        (tmp_path / name / "conf").mkdir(parents=True)
        (tmp_path / name / "conf" / "app.ini").write_text(
            f"url = postgresql://{name}:{pw}@{HOST}/app\n")
    db = str(tmp_path / "s.db")
    for name in ("one", "two"):
        assert run_cli("scan", name, "--store", db, cwd=tmp_path).returncode == 1
    doc = plan("--store", db)
    assert sorted((c["user"], loc["where"]) for c in doc["credentials"]
                  for loc in c["locations"]) == [
        ("one", f"{tmp_path}/one/conf/app.ini"), ("two", f"{tmp_path}/two/conf/app.ini")]
    listing = run_cli("targets", "--store", db).stdout.splitlines()
    assert [line.split()[1] for line in listing[1:]] == ["folder", "folder"]


def test_triage_note_alone_keeps_the_status(tmp_path: Path, password: str) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "app.ini").write_text(f"url = postgresql://svc:{password}@{HOST}/app\n")
    assert run_cli("scan", str(proj)).returncode == 1
    with Store.open() as store:
        [cid] = [c.id for c in store.credentials()]
    assert run_cli("triage", cid, "--status", "rotated").returncode == 0
    noted = run_cli("triage", cid, "--note", "INC-4411: rotated by the DBA")
    assert noted.returncode == 0, noted.stderr
    assert noted.stdout.startswith(f"{cid}: rotated (since ")
    assert noted.stdout.endswith(": INC-4411: rotated by the DBA\n")
    with Store.open() as store:
        state = store.triage_states()[cid]
    assert (state.status, state.note) == ("rotated", "INC-4411: rotated by the DBA")
    first = run_cli("triage", cid[:5], "--note", "first triage of an open credential")
    assert first.returncode == 0
    with Store.open() as store:
        assert store.triage_states()[cid].status == "rotated"


def test_explain_and_triage_resolve_ids_by_one_rule(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    users = [f"u{i}" for i in range(20)]  # enough credentials for two to share a prefix
    (proj / "app.ini").write_text("".join(
        f"url = postgresql://{u}:{make_password()}@{HOST}/app\n" for u in users))
    db = str(tmp_path / "s.db")
    scan = run_cli("scan", str(proj), "--store", db, "--format", "json")
    doc = json.loads(scan.stdout)
    cids = sorted(c["id"] for c in doc["credentials"])
    finding = {f["credential"]: f["id"] for f in doc["findings"]}
    pairs = [(x, y) for x, y in itertools.pairwise(cids) if x[:2] == y[:2]]
    assert pairs, cids
    x, y = pairs[0]
    common = next(n for n in range(2, 17) if x[:n] != y[:n]) - 1
    ambiguous = x[:common]
    candidates = [c for c in cids if c.startswith(ambiguous)]
    unique = x[:common + 1]
    for command in (("explain",), ("triage",)):
        amb = run_cli(*command, ambiguous, "--store", db)
        assert amb.returncode == 2
        assert amb.stderr == (
            f"pgsweep: error: credential id {ambiguous} is ambiguous: {', '.join(candidates)}\n")
        for text in (unique, x, finding[x], finding[x][:12]):
            ok = run_cli(*command, text, "--store", db)
            assert ok.returncode == 0, (command, text, ok.stderr)
            assert x in ok.stdout.splitlines()[0]
        none = run_cli(*command, "cffffffffffffffff0", "--store", db)
        assert none.returncode == 2
        assert none.stderr == f"pgsweep: error: no credential cffffffffffffffff0 in {db}\n"


def test_targets_escape_control_characters_and_forgetting_clears_an_interrupted_scan(
    tmp_path: Path, password: str
) -> None:
    """A scanned folder's name is printed with its control characters escaped (a name can
    hold a terminal escape or a newline); forgetting a target also forgets that a scan of
    it was interrupted."""
    proj = tmp_path / "red\x1b[31m\nproj"
    proj.mkdir()
    (proj / "app.ini").write_text(f"url = postgresql://svc:{password}@{HOST}/app\n")
    db = str(tmp_path / "s.db")
    assert run_cli("scan", str(proj), "--store", db).returncode == 1
    with Store.open(Path(db)) as store:
        store.begin_scan(str(proj))  # a later scan of it that never finished
    shown = f"{tmp_path}/red\\x1b[31m\\nproj"
    listing = run_cli("targets", "--store", db)
    assert listing.returncode == 0, listing.stderr
    [_header, row] = listing.stdout.splitlines()
    assert row.split()[:4] == ["1", "folder", "1", "1"]
    assert row.endswith(f"  {shown}")
    warned = run_cli("report", "--store", db, "--target", "1")
    [warning] = warned.stderr.splitlines()
    assert warning.startswith(f"pgsweep: warning: the scan of {shown} started ")
    gone = run_cli("targets", "forget", "1", "--store", db)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout == f"forgot target #1 ({shown}): 1 credential(s) and 1 place(s) removed\n"
    after = run_cli("report", "--store", db)
    assert (after.returncode, after.stderr) == (0, (  # the interrupted scan is not named
        f"pgsweep: warning: no scan has been recorded in {db}: "
        "credentials may be missing from this plan\n"))
