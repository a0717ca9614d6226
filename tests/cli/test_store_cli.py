"""`scan --store/--no-store/--no-store-secrets` and `triage`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

from pgsweep.store import Store, default_store_path


def write_leak(root: Path, name: str, password: str) -> None:
    root.mkdir(exist_ok=True)
    (root / name).write_text(f"url = postgresql://svc:{password}@pg.corp.net/app\n")


def test_scan_records_into_the_default_store_and_triage_persists(
    tmp_path: Path, password: str
) -> None:
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", password)
    scan = run_cli("scan", str(proj), "--format", "json")
    assert scan.returncode == 1, scan.stderr
    [cred] = json.loads(scan.stdout)["credentials"]
    assert default_store_path().is_file()  # in this test's XDG_DATA_HOME
    assert password.encode() not in default_store_path().read_bytes()

    tri = run_cli("triage", cred["id"][:6], "--status", "false-positive", "--note", "demo db")
    assert tri.returncode == 0, tri.stderr
    assert tri.stdout.startswith(f"{cred['id']}: false-positive (since ")
    assert tri.stdout.rstrip().endswith(": demo db")
    assert password not in tri.stdout + tri.stderr

    # triaged a false positive: shown as such, at info, and no longer fails the scan
    again = run_cli("scan", str(proj), "--format", "json")
    assert again.returncode == 0, again.stderr
    [after] = json.loads(again.stdout)["credentials"]
    assert (after["id"], after["status"], after["severity"]) == (cred["id"], "false-positive",
                                                                  "info")
    shown = run_cli("triage", cred["id"])
    assert shown.returncode == 0
    assert f"{cred['id']}: false-positive" in shown.stdout

    with Store.open() as store:
        [f] = store.findings()
        assert (f.provenance.path, f.line, f.user, f.hosts, f.secret) == (
            str(proj / "app.ini"), 1, "svc", ("pg.corp.net",), password,
        )


def test_no_store_and_explicit_store_and_no_store_secrets(tmp_path: Path, password: str) -> None:
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", password)
    assert run_cli("scan", str(proj), "--no-store").returncode == 1
    assert not default_store_path().exists()

    db = tmp_path / "team.db"
    assert run_cli("scan", str(proj), "--store", str(db), "--no-store-secrets").returncode == 1
    assert not default_store_path().exists()
    with Store.open(db) as store:
        [f] = store.findings()
        assert (f.user, f.secret) == ("svc", "")
        assert store.secret_matches(f.credential, password)


def test_triage_errors_are_one_line(tmp_path: Path, password: str) -> None:
    missing = run_cli("triage", "c123", "--status", "rotated", "--store", str(tmp_path / "no.db"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"pgsweep: error: {tmp_path / 'no.db'}: no findings store here (run pgsweep scan first)"
    )
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", password)
    run_cli("scan", str(proj))
    bad = run_cli("triage", "c", "--status", "fixed")
    assert bad.returncode == 2
    assert "unknown status 'fixed'" in bad.stderr
    unknown = run_cli("triage", "cnothex", "--status", "rotated")
    assert unknown.returncode == 2
    assert "no credential cnothex" in unknown.stderr


def test_an_unusable_default_store_warns_and_an_explicit_one_fails(
    tmp_path: Path, password: str
) -> None:
    proj = tmp_path / "proj"
    write_leak(proj, "app.ini", password)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = {"XDG_DATA_HOME": str(blocker)}  # the default store's folder cannot be created
    scan = run_cli("scan", str(proj), "--format", "json", env=env)
    assert scan.returncode == 1
    assert [f["path"] for f in json.loads(scan.stdout)["findings"]] == [str(proj / "app.ini")]
    assert scan.stderr.startswith(
        f"pgsweep: warning: not recording into the findings store: {blocker}/pgsweep/store.db: "
        "cannot create the store"
    )
    assert password not in scan.stderr
    explicit = run_cli("scan", str(proj), "--store", str(blocker / "s.db"))
    assert explicit.returncode == 2
    assert explicit.stderr.startswith(f"pgsweep: error: {blocker}/s.db: cannot create the store")
