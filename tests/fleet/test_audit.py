"""`pgsweep audit` over real repositories: paths and file:// URLs, one credential per
secret across repositories, failing repositories as counted skips, nothing plaintext
crossing the worker boundary."""

from __future__ import annotations

import json
import pickle
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo, uri

from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import ScanResult
from pgsweep.fleet.audit import AuditRequest, make_tasks, run_audit
from pgsweep.fleet.interface import ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.fleet.worker import run_task
from pgsweep.store import Store, StoreError

KEY = "audit-test-key-0123456789abcdef"


def make_fleet(root: Path, count: int, shared: int, shared_password: str) -> list[str]:
    """`count` repositories r00…; the first `shared` hold one identical `.env` with
    `shared_password`, every other one its own password in `config/db.env`."""
    names = []
    for i in range(count):
        repo = GitRepo(root / f"r{i:02d}")
        if i < shared:
            repo.write(".env", f"DATABASE_URL={uri('app', shared_password)}\n")
        else:
            own = make_password()
            repo.write("config/db.env",
                       f"DATABASE_URL={uri(f'svc{i}', own, host=f'db{i}.acme-corp.net')}\n")
        repo.commit("add settings")
        names.append(repo.root.name)
    return names


def audit_json(tmp_path: Path, repos_file: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli("audit", "--repos", str(repos_file), "--format", "json", "--no-progress",
                   "--store", str(tmp_path / "store.db"), "--cache-dir", str(tmp_path / "cache"),
                   *extra, env={"PGSWEEP_STORE_KEY": KEY})
    return done.returncode, json.loads(done.stdout), done.stderr


def test_24_file_urls_three_share_one_password(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 24, 3, password)
    listing = tmp_path / "repos.txt"
    listing.write_text("# the fleet\n" + "".join(
        f"file://{tmp_path / 'fleet' / n}\n" for n in names))
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    assert len(doc["credentials"]) == 22
    shared = [c for c in doc["credentials"] if c["user"] == "app"]
    assert len(shared) == 1
    places = sorted(
        (f["provenance"]["repo"], f["path"], f["line"], f["user"], f["host"], f["secret"])
        for f in doc["findings"] if f["credential"] == shared[0]["id"])
    assert places == [
        (f"file://{tmp_path / 'fleet' / n}", ".env", 1, "app", "db.prod.acme-corp.net",
         redact(password))
        for n in names[:3]
    ]
    assert shared[0]["secret"] == redact(password)
    assert password not in json.dumps(doc) + err


def test_paths_failures_and_incremental_rerun(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 3, 2, password)
    listing = tmp_path / "list" / "repos.txt"
    listing.parent.mkdir()
    listing.write_text(
        f"../fleet/{names[0]}   # relative to this file\n"
        f"{tmp_path / 'fleet' / names[1]}\n\n"
        f"file://{tmp_path / 'fleet' / names[2]}\n"
        f"{tmp_path / 'missing'}\n"
        f"file://{tmp_path / 'gone'}\n")
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    assert doc["complete"] is False
    assert sorted(doc["stats"]["incomplete"]) == sorted([
        f"{tmp_path / 'missing'}: not a git repository",
        f"file://{tmp_path / 'gone'}: cannot mirror (fatal: '{tmp_path / 'gone'}' does not "
        "appear to be a git repository)",
    ])
    first = sorted((f["provenance"]["repo"], f["path"]) for f in doc["findings"])
    assert first == [
        (str(tmp_path / "fleet" / names[0]), ".env"),
        (str(tmp_path / "fleet" / names[1]), ".env"),
        (f"file://{tmp_path / 'fleet' / names[2]}", "config/db.env"),
    ]
    # a second run reads nothing new and still reports everything the store holds
    rc, again, err = audit_json(tmp_path, listing, "--allow-incomplete")
    assert rc == 1, err
    assert again["stats"]["chunks"] == 0
    assert sorted((f["provenance"]["repo"], f["path"]) for f in again["findings"]) == first


def test_worker_results_carry_no_plaintext(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 2, 2, password)
    store = Store.open(tmp_path / "s.db", key_path=tmp_path / "k")
    request = AuditRequest(
        entries=tuple(str(tmp_path / "fleet" / n) for n in names),
        settings=ScanSettings(max_blob_size=DEFAULT_MAX_BLOB_SIZE))
    tasks = make_tasks(request, store, store.sealing_key())
    assert pickle.loads(pickle.dumps(tasks)) == tasks
    results = [run_task(t) for t in tasks]
    wire = pickle.dumps(results)
    assert password.encode() not in wire
    assert [len(r.findings) for r in results] == [1, 1]
    assert all(f.secret == "" for r in results for f in r.findings)
    assert password not in repr(tasks) + repr(results)
    # what the store then holds decrypts to the secret, bound to its credential
    outcome = run_audit(request, LocalExecutor(2), store)
    assert {f.secret for f in outcome.result.findings} == {password}
    store.close()
    raw = sqlite3.connect(tmp_path / "s.db").execute("SELECT secret FROM credentials").fetchall()
    assert len(raw) == 1 and password.encode() not in raw[0][0]


def test_no_store_secrets_sends_hashes_only(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 1, 1, password)
    store = Store.open(tmp_path / "s.db", key_path=tmp_path / "k", store_secrets=False)
    request = AuditRequest(entries=(str(tmp_path / "fleet" / names[0]),),
                           settings=ScanSettings(max_blob_size=DEFAULT_MAX_BLOB_SIZE),
                           keep_secrets=False)
    (res,) = [run_task(t) for t in make_tasks(request, store, store.sealing_key())]
    assert [s.ciphertext for s in res.sealed] == [None]
    assert [s.secret_hash for s in res.sealed] == [store.sealing_key().keyed_hash(password)]
    store.close()


@pytest.mark.parametrize(("line", "why"), [
    ("ext::sh -c id", "{tmp}/ext::sh -c id: not a git repository"),
    ("ftp://u:tok3n@example.org/x.git",
     "ftp://example.org/x.git: unsupported URL scheme 'ftp' (use https, http, ssh, git, file)"),
])
def test_unsupported_transports_are_skips(tmp_path: Path, line: str, why: str) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(line + "\n")
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 2
    assert doc["stats"]["incomplete"] == [why.format(tmp=tmp_path)]
    assert "tok3n" not in json.dumps(doc) + err


def test_report_groups_credentials_by_repository(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 3, 2, password)
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"fleet/{n}\n" for n in names))
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    shared = next(c["id"] for c in doc["credentials"] if c["user"] == "app")
    own = next(c["id"] for c in doc["credentials"] if c["user"] == "svc2")
    done = run_cli("report", "--store", str(tmp_path / "store.db"), "-f", "json",
                   "--group-by", "repository", env={"PGSWEEP_STORE_KEY": KEY})
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    repos = [str(tmp_path / "fleet" / n) for n in names]
    assert plan["groups"] == [
        {"repository": repos[0], "credentials": [shared]},
        {"repository": repos[1], "credentials": [shared]},
        {"repository": repos[2], "credentials": [own]},
    ]
    by_id = {c["id"]: c for c in plan["credentials"]}
    assert "git.repositories" in [f["name"] for f in by_id[shared]["risk"]["factors"]]
    assert "git.repositories" not in [f["name"] for f in by_id[own]["risk"]["factors"]]
    md = run_cli("report", "--store", str(tmp_path / "store.db"), "--group-by", "repository",
                 env={"PGSWEEP_STORE_KEY": KEY}).stdout
    assert f"### `{repos[2]}` (1 credentials)\n\n- **" in md


def test_store_refuses_secrets_sealed_with_another_key(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 1, 1, password)
    store = Store.open(tmp_path / "s.db", key_path=tmp_path / "k")
    other = Store.open(tmp_path / "o.db", key_path=tmp_path / "other-key")
    request = AuditRequest(entries=(str(tmp_path / "fleet" / names[0]),),
                           settings=ScanSettings(max_blob_size=DEFAULT_MAX_BLOB_SIZE))
    (res,) = [run_task(t) for t in make_tasks(request, store, other.sealing_key())]
    with pytest.raises(StoreError, match="sealed with another key"):
        store.record_scan(ScanResult(res.findings, (), res.stats), res.repository,
                          sealed={s.credential_id: s for s in res.sealed})
    assert store.findings() == []
    store.close()
    other.close()


@pytest.mark.parametrize("fmt", ["terminal", "json", "jsonl", "csv", "sarif", "markdown", "html"])
def test_every_format_names_each_repository(tmp_path: Path, password: str, fmt: str) -> None:
    names = make_fleet(tmp_path / "fleet", 2, 1, password)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"fleet/{names[0]}\nfile://{tmp_path / 'fleet' / names[1]}\nnone\n")
    done = run_cli("audit", "--repos", str(listing), "-f", fmt, "--no-progress", "--no-store",
                   env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert done.returncode == 1, done.stderr
    assert str(tmp_path / "fleet" / names[0]) in done.stdout
    assert f"file://{tmp_path / 'fleet' / names[1]}" in done.stdout
    assert password not in done.stdout + done.stderr
    assert done.stderr == f"pgsweep: warning: {tmp_path / 'none'}: not a git repository\n"
    if fmt == "sarif":
        (run,) = json.loads(done.stdout)["runs"]
        assert "pg.uri.1" in [r["id"] for r in run["tool"]["driver"]["rules"]]
        rule = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
        assert "fullDescription" in rule  # the signature's own rule, not a fallback
    if fmt == "terminal":
        per_repo = done.stdout.split("Per repository\n", 1)[1].split("\n\n", 1)[0]
        assert per_repo.splitlines() == [
            f"{tmp_path / 'fleet' / names[0]}: 1 credential in 1 finding",
            f"file://{tmp_path / 'fleet' / names[1]}: 1 credential in 1 finding",
            f"skipped {tmp_path / 'none'}: not a git repository",
        ]


def test_rerun_after_removal_marks_the_leak_history_only(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 1, 1, password)
    repo_root = tmp_path / "fleet" / names[0]
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{repo_root}\n")
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    assert [(f["path"], f["present_at_head"]) for f in doc["findings"]] == [(".env", True)]
    repo = GitRepo(repo_root)  # reopened: `git init` keeps what is there
    repo.tick = 1
    (repo_root / ".env").unlink()
    repo.write("README.md", "moved to the vault\n")
    repo.commit("remove the settings")
    rc, again, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    assert again["stats"]["blobs"] == 1  # only the new README
    assert [(f["path"], f["present_at_head"]) for f in again["findings"]] == [(".env", False)]


def test_a_mirrors_warnings_name_its_url(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 1, 1, password)
    repo = GitRepo(tmp_path / "fleet" / names[0])
    repo.write("later.txt", "more\n")
    repo.commit("later")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow)],
                   check=True)
    url = f"file://{shallow}"
    listing = tmp_path / "repos.txt"
    listing.write_text(url + "\n")
    rc, doc, err = audit_json(tmp_path, listing)
    assert rc == 1, err
    mirror = next((tmp_path / "cache").glob("*.git"))
    assert str(mirror) not in json.dumps(doc) + err
    assert doc["stats"]["notices"] == [
        f"{url}: shallow repository: history before the shallow boundary is not scanned"]
