"""`pgsweep verify` end to end: scan leaked URIs, verify offline and live, no plaintext out."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import make_password, run_cli
from pgserver import PgServer

from pgsweep.store import Store

ROLES = ("alice", "bob", "carol", "dave", "erin", "frank")
OFFLINE = {"alice": "live", "bob": "live", "carol": "live", "dave": "live",
           "erin": "rotated", "frank": "rotated", "ghost": "no-verifier"}
LIVE = {"alice": "valid", "bob": "valid", "carol": "valid", "dave": "valid",
        "erin": "invalid", "frank": "invalid", "ghost": "invalid"}


@pytest.fixture
def leaks(pg_server: PgServer, tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder leaking one URI per fixture role (and one for a role that does not exist)."""
    root = tmp_path / "leaky"
    (root / "deploy").mkdir(parents=True)
    passwords = {n: pg_server.roles[n].leaked for n in ROLES}
    passwords["ghost"] = make_password()
    port = pg_server.port

    def uri(user: str, db: str = "postgres", query: str = "") -> str:
        return f"postgresql://{user}:{quote(passwords[user], safe='')}@127.0.0.1:{port}/{db}{query}"

    (root / ".env").write_text(
        f"DATABASE_URL={uri('alice', query='?sslmode=require')}\n"
        f"LEGACY_URL={uri('bob')}\n", encoding="utf-8")
    (root / "deploy" / "app.yml").write_text(
        "db:\n"
        f"  primary: \"{uri('carol')}\"\n"
        f"  reports: \"{uri('dave', db='reports_db_gone')}\"\n", encoding="utf-8")
    (root / "notes.md").write_text(
        f"old creds: {uri('erin')}\n\nand {uri('frank', query='?sslmode=disable')}\n"
        f"and {uri('ghost')}\n", encoding="utf-8")
    secrets = [p for n in ROLES for p in (pg_server.roles[n].leaked, pg_server.roles[n].current)]
    secrets.append(passwords["ghost"])
    secrets += [quote(p, safe="") for p in list(secrets)]
    return root, secrets


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Keep the default store and its key out of the user's real data and config dirs."""
    values = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
              "HOME": str(tmp_path / "home")}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def bound(pg_server: PgServer) -> tuple[str, str]:
    """The verifier file's server: where the leaked URIs point."""
    return ("--verifiers-host", f"127.0.0.1:{pg_server.port}")


def statuses(out: Path, method: str) -> dict[str, str]:
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["version"] == 1
    return {r["user"]: r["status"] for r in doc["results"] if r["method"] == method}


def assert_no_plaintext(secrets: list[str], *texts: str) -> None:
    for text in texts:
        for s in secrets:
            assert s not in text


def test_scan_then_verify_offline_and_live(
    pg_server: PgServer, leaks: tuple[Path, list[str]], tmp_path: Path, env: dict[str, str]
) -> None:
    root, secrets = leaks
    dump = tmp_path / "roles.sql"
    dump.write_text(pg_server.dumpall_roles(), encoding="utf-8")

    out = tmp_path / "offline.json"
    proc = run_cli("verify", "--scan", str(root), "--verifiers", str(dump), *bound(pg_server),
                   "--format", "json", "--output", str(out))
    assert proc.returncode == 1, proc.stderr  # some leaked credentials still work
    assert statuses(out, "offline") == OFFLINE
    doc = json.loads(out.read_text(encoding="utf-8"))
    alice = next(r for r in doc["results"] if r["user"] == "alice")
    assert alice["hosts"] == ["127.0.0.1"] and alice["credential"].startswith("c")
    assert set(alice) == {"credential", "user", "hosts", "method", "status", "detail"}
    assert_no_plaintext(secrets, proc.stdout, proc.stderr, out.read_text(encoding="utf-8"))

    refused = tmp_path / "refused.json"
    proc = run_cli("verify", "--scan", str(root), "--verify-live",
                   "--format", "json", "-o", str(refused))
    assert proc.returncode == 0, proc.stderr  # nothing attempted, nothing found usable
    assert statuses(refused, "live") == {u: "refused" for u in LIVE}

    live = tmp_path / "live.json"
    proc = run_cli("verify", "--scan", str(root), "--verifiers", str(dump), *bound(pg_server),
                   "--verify-live",
                   "--allow-internal", "--format", "json", "-o", str(live))
    assert proc.returncode == 1, proc.stderr
    assert statuses(live, "offline") == OFFLINE
    assert statuses(live, "live") == LIVE
    by_user = {r["user"]: r["detail"] for r in json.loads(live.read_text())["results"]
               if r["method"] == "live"}
    assert by_user["alice"]["tls"] is True and by_user["alice"]["sslmode"] == "require"
    assert by_user["frank"]["tls"] is False and by_user["frank"]["sslmode"] == "disable"
    assert by_user["dave"]["sqlstate"] == "3D000"
    assert_no_plaintext(secrets, proc.stdout, proc.stderr, live.read_text(encoding="utf-8"))

    # the terminal table
    proc = run_cli("verify", "--scan", str(root), "--verifiers", str(dump), *bound(pg_server))
    assert proc.returncode == 1
    lines = {u: ln for ln in proc.stdout.splitlines() for u in OFFLINE if f" {u}@127.0.0.1 " in ln}
    assert lines["alice"].startswith("!") and " live " in lines["alice"]
    assert lines["erin"].startswith(" ") and " rotated " in lines["erin"]
    assert_no_plaintext(secrets, proc.stdout, proc.stderr)


def test_verify_scan_reads_the_scan_paths_config(
    pg_server: PgServer, leaks: tuple[Path, list[str]], tmp_path: Path, env: dict[str, str]
) -> None:
    """--scan PATH scans as `pgsweep scan PATH` does: PATH's pgsweep.toml excludes a folder
    and allowlists a value, so those credentials are not verified."""
    root, secrets = leaks
    (root / "pgsweep.toml").write_text(
        'exclude = ["deploy/"]\n'
        f"[allowlist]\nvalues = ['^{pg_server.roles['erin'].leaked}$']\n", encoding="utf-8")
    dump = tmp_path / "roles.sql"
    dump.write_text(pg_server.dumpall_roles(), encoding="utf-8")
    out = tmp_path / "offline.json"
    proc = run_cli("verify", "--scan", str(root), "--verifiers", str(dump), *bound(pg_server),
                   "--format", "json", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    assert statuses(out, "offline") == {
        "alice": "live", "bob": "live", "frank": "rotated", "ghost": "no-verifier"}
    assert_no_plaintext(secrets, proc.stdout, proc.stderr, out.read_text(encoding="utf-8"))


def test_verify_errors_are_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    proc = run_cli("verify", "--scan", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "pgsweep: error: nothing to do: pass --verifiers FILE and/or --verify-live")
    proc = run_cli("verify", "--scan", str(tmp_path), "--verifiers", str(tmp_path / "nope.sql"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("pgsweep: error: ") and "nope.sql: cannot read" in proc.stderr


def test_verify_from_the_store(
    pg_server: PgServer, leaks: tuple[Path, list[str]], tmp_path: Path, env: dict[str, str]
) -> None:
    """scan records into the store; verify reads the secrets back and records its results."""
    root, secrets = leaks
    store = tmp_path / "findings.db"
    scanned = run_cli("scan", str(root), "--store", str(store), env=env)
    assert scanned.returncode in (0, 1), scanned.stderr
    dump = tmp_path / "roles.sql"
    dump.write_text(pg_server.dumpall_roles(), encoding="utf-8")
    out = tmp_path / "store.json"
    proc = run_cli("verify", "--store", str(store), "--verifiers", str(dump), *bound(pg_server),
                   "--format", "json", "-o", str(out), env=env)
    assert proc.returncode == 1, proc.stderr
    assert statuses(out, "offline") == OFFLINE
    assert_no_plaintext(secrets, proc.stdout, proc.stderr, out.read_text(encoding="utf-8"))
    with Store.open(store, create=False) as st:
        users: dict[str, str | None] = {c.id: c.user for c in st.credentials()}
        recorded = {users[cid]: [(v.method, v.status) for v in vs]
                    for cid, vs in st.verifications().items()}
    assert recorded == {u: [("offline", s)] for u, s in OFFLINE.items()}
    assert_no_plaintext(secrets, store.read_bytes().decode("utf-8", "replace"))


def test_store_without_secrets_needs_the_scan_path(
    pg_server: PgServer, leaks: tuple[Path, list[str]], tmp_path: Path, env: dict[str, str]
) -> None:
    """--no-store-secrets: verify from the store skips; --scan PATH verifies and records."""
    root, secrets = leaks
    store = tmp_path / "hashes.db"
    scanned = run_cli("scan", str(root), "--store", str(store), "--no-store-secrets", env=env)
    assert scanned.returncode in (0, 1), scanned.stderr
    dump = tmp_path / "roles.sql"
    dump.write_text(pg_server.dumpall_roles(), encoding="utf-8")
    out = tmp_path / "skipped.json"
    proc = run_cli("verify", "--store", str(store), "--verifiers", str(dump), *bound(pg_server),
                   "--format", "json", "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    # ghost's role is absent from the file, which is known before the secret is needed
    assert statuses(out, "offline") == {u: "no-verifier" if u == "ghost" else "skipped"
                                        for u in OFFLINE}
    out = tmp_path / "rescanned.json"
    proc = run_cli("verify", "--scan", str(root), "--store", str(store), "--verifiers",
                   str(dump), *bound(pg_server), "--format", "json", "-o", str(out), env=env)
    assert proc.returncode == 1, proc.stderr
    assert statuses(out, "offline") == OFFLINE
    with Store.open(store, create=False) as st:
        latest = {cid: vs[-1].status for cid, vs in st.verifications().items()}
        users: dict[str, str | None] = {c.id: c.user for c in st.credentials()}
    assert {users[c]: s for c, s in latest.items()} == OFFLINE
    assert_no_plaintext(secrets, store.read_bytes().decode("utf-8", "replace"))


def test_a_dump_of_an_unrelated_server_does_not_clear_a_leak(
    pg_server: PgServer, tmp_path: Path
) -> None:
    """deployer@pg-staging leaked; the dump is of another server that has a `deployer` role
    with another password. Before binding, this marked the leak rotated and capped it low."""
    from conftest import run_cli_here

    pg_server.create_role("deployer", "scram-sha-256", make_password())
    staging, local = tmp_path / "staging", tmp_path / "local"
    staging.mkdir()
    local.mkdir()
    (staging / ".env").write_text(
        f"DATABASE_URL=postgresql://deployer:{make_password()}@pg-staging.corp.net:5432/app\n")
    alice = quote(pg_server.roles["alice"].leaked, safe="")
    (local / ".env").write_text(
        f"DATABASE_URL=postgresql://alice:{alice}@127.0.0.1:{pg_server.port}/postgres\n")
    store = str(tmp_path / "s.db")
    for root in (staging, local):
        assert run_cli_here("scan", str(root), "--store", store).returncode == 1
    dump = tmp_path / "roles.sql"
    dump.write_text(pg_server.dumpall_roles(), encoding="utf-8")

    def risk() -> dict[str, tuple[str, str | None]]:
        proc = run_cli_here("report", "--store", store, "--format", "json")
        return {c["user"]: (c["risk"]["severity"], c["risk"]["verification"])
                for c in json.loads(proc.stdout)["credentials"]}

    def results(*args: str) -> dict[str, tuple[str, str]]:
        out = tmp_path / "out.json"
        proc = run_cli_here("verify", "--store", store, "--verifiers", str(dump), *args,
                            "--format", "json", "--output", str(out))
        assert proc.returncode == 1, proc.stderr
        return {r["user"]: (r["status"], r["detail"].get("server", ""))
                for r in json.loads(out.read_text())["results"]}

    before = risk()
    assert before["deployer"][1] is None
    unbound = run_cli_here("verify", "--store", store, "--verifiers", str(dump))
    assert unbound.stderr == (
        "pgsweep: note: the verifier file is not bound to a server (--verifiers-host "
        "HOST[:PORT]): a mismatch is reported as 'unconfirmed', never 'rotated'\n")
    assert results() == {"deployer": ("unconfirmed", ""), "alice": ("valid", "")}
    after = risk()
    assert after["deployer"] == (before["deployer"][0], "unconfirmed")  # not capped
    assert after["alice"] == ("high", "valid")

    here = f"127.0.0.1:{pg_server.port}"
    assert results("--verifiers-host", here, "--target", str(local)) == {
        "alice": ("live", here)}
    assert results("--verifiers-host", here) == {
        "deployer": ("skipped", ""), "alice": ("live", here)}
    assert risk()["deployer"] == (before["deployer"][0], "unconfirmed")  # skipped: not recorded

    bad = run_cli_here("verify", "--store", store, "--verifiers", str(dump),
                       "--verifiers-host", "db:port")
    assert (bad.returncode, bad.stderr) == (
        2, "pgsweep: error: --verifiers-host 'db:port': expected HOST[:PORT]\n")
    alone = run_cli_here("verify", "--store", store, "--verify-live", "--verifiers-host", here)
    assert (alone.returncode, alone.stderr) == (2, (
        "pgsweep: error: --verifiers-host names the server of a --verifiers FILE; "
        "pass the file too\n"))
