"""The Dask executor on a real LocalCluster: the same credentials as local worker processes,
and neither a secret nor the store key crossing to a worker."""

from __future__ import annotations

import json
import pickle
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

import distributed
import pytest
from conftest import REPO_ROOT, run_cli
from test_audit import KEY, audit_json, make_fleet

from pgsweep.core.models import GitProvenance
from pgsweep.core.options import DEFAULT_MAX_BLOB_SIZE
from pgsweep.fleet.audit import AuditRequest, make_tasks, run_audit
from pgsweep.fleet.dask_cluster import DaskExecutor
from pgsweep.fleet.interface import FleetError, ScanSettings
from pgsweep.fleet.local import LocalExecutor
from pgsweep.fleet.wire import Opener, run_sealed, unseal, without_key, wrap
from pgsweep.fleet.worker import run_task
from pgsweep.store import Store

SETTINGS = ScanSettings(max_blob_size=DEFAULT_MAX_BLOB_SIZE)


def _places(store: Store) -> list[tuple[str, str, str | None, str | None, int, str]]:
    out: list[tuple[str, str, str | None, str | None, int, str]] = []
    for f in store.findings():
        assert isinstance(f.provenance, GitProvenance)  # an audit reads repositories
        out.append((f.credential, f.provenance.repo, f.user, f.provenance.path, f.line, f.secret))
    return sorted(out)


def test_a_local_cluster_finds_what_local_processes_find(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 6, 2, password)
    request = AuditRequest(entries=tuple(str(tmp_path / "fleet" / n) for n in names),
                           settings=SETTINGS)
    outcomes = {}
    stores = {}
    for name, executor in (("local", LocalExecutor(2)), ("dask", DaskExecutor(2))):
        stores[name] = Store.open(tmp_path / f"{name}.db", key_path=tmp_path / "key")
        outcomes[name] = run_audit(request, executor, stores[name])
    local, dask = outcomes["local"].result, outcomes["dask"].result
    assert sorted(c.id for c in dask.credentials) == sorted(c.id for c in local.credentials)
    assert len(dask.credentials) == 5
    assert _places(stores["dask"]) == _places(stores["local"])
    shared = [p for p in _places(stores["dask"]) if p[2] == "app"]
    assert [(p[1], p[3], p[4], p[5]) for p in shared] == [
        (str(tmp_path / "fleet" / n), ".env", 1, password) for n in names[:2]]
    assert outcomes["dask"].repositories == outcomes["local"].repositories
    for store in stores.values():
        store.close()


def test_what_crosses_to_a_worker_and_back_holds_no_secret_and_no_store_key(
    tmp_path: Path, password: str
) -> None:
    names = make_fleet(tmp_path / "fleet", 1, 1, password)
    with Store.open(tmp_path / "s.db", key_path=tmp_path / "key") as store:
        key = store.sealing_key()
        [task] = make_tasks(AuditRequest(entries=(str(tmp_path / "fleet" / names[0]),),
                                         settings=SETTINGS), store, key)
    opener = Opener()
    sent = pickle.dumps((without_key(task), opener.recipient))
    wire = run_sealed(pickle.loads(sent)[0], opener.recipient, run_task)
    back = pickle.dumps(wire)
    for blob in (sent, back):
        assert password.encode() not in blob
        assert key._enc not in blob and key._mac not in blob
    # the coordinator seals again with the store key, exactly as a local worker would
    result = unseal(pickle.loads(back), opener, task)
    local = run_task(task)
    assert [(s.credential_id, s.key_id, s.secret_hash, s.redacted) for s in result.sealed] == [
        (s.credential_id, s.key_id, s.secret_hash, s.redacted) for s in local.sealed]
    [sealed] = result.sealed
    assert sealed.ciphertext is not None
    assert key.decrypt(sealed.ciphertext, sealed.credential_id) == password
    # under --no-store-secrets only the keyed hash comes out
    hashes_only = unseal(wire, opener, replace(task, keep_secrets=False))
    assert [(s.ciphertext, s.secret_hash) for s in hashes_only.sealed] == [
        (None, key.keyed_hash(password))]
    # a result sealed to another audit does not open
    with pytest.raises(FleetError, match="not sealed to this audit"):
        unseal(wire, Opener(), task)


def test_a_wrapped_key_opens_only_for_its_recipient_and_unaltered() -> None:
    opener = Opener()
    data = secrets.token_bytes(32)
    wrapped = wrap(data, opener.recipient)
    assert opener.open(wrapped) == data
    assert Opener().open(wrapped) is None
    flipped = bytes([wrapped.ciphertext[0] ^ 1]) + wrapped.ciphertext[1:]
    assert opener.open(replace(wrapped, ciphertext=flipped)) is None
    assert wrap(data, opener.recipient).nonce != wrapped.nonce


def test_audit_on_a_dask_scheduler_gives_the_local_credentials(
    tmp_path: Path, password: str
) -> None:
    names = make_fleet(tmp_path / "fleet", 4, 2, password)
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"{tmp_path / 'fleet' / n}\n" for n in names))

    def audit(store: str, *extra: str) -> dict[str, Any]:
        done = run_cli("audit", "--repos", str(listing), "-f", "json", "--no-progress",
                       "--store", str(tmp_path / store), *extra, env={"PGSWEEP_STORE_KEY": KEY})
        assert done.returncode == 1, done.stderr
        assert password not in done.stdout + done.stderr
        doc: dict[str, Any] = json.loads(done.stdout)
        return doc

    # A real scheduler on a TCP port; its two workers are threads of this process (the
    # test above runs worker processes).
    # (distributed's LocalCluster has no annotations)
    with distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
            scheduler_port=0, protocol="tcp") as cluster:
        on_dask = audit("dask.db", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    local = audit("local.db", "--jobs", "2", "--executor", "local")
    assert sorted(c["id"] for c in on_dask["credentials"]) == sorted(
        c["id"] for c in local["credentials"])
    assert sorted((f["provenance"]["repo"], f["path"], f["line"], f["secret"])
                  for f in on_dask["findings"]) == sorted(
        (f["provenance"]["repo"], f["path"], f["line"], f["secret"]) for f in local["findings"])
    assert len(on_dask["credentials"]) == 3


def test_options_that_cannot_work_are_one_line(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{tmp_path}\n")
    done = run_cli("audit", "--repos", str(listing), "--scheduler", "tcp://127.0.0.1:8786",
                   "--no-store")
    assert (done.returncode, done.stderr) == (
        2, "pgsweep: error: --scheduler names a Dask cluster: add --executor dask\n")
    fake = tmp_path / "no-dask" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('distributed is not installed')\n")
    done = run_cli("audit", "--repos", str(listing), "--executor", "dask", "--no-store",
                   env={"PYTHONPATH": f"{fake.parent}:{REPO_ROOT / 'src'}"})
    assert (done.returncode, done.stderr) == (
        2, "pgsweep: error: --executor dask needs the cluster extra: "
           "pip install 'pgsweep[cluster]'\n")


def test_audit_on_dask_into_postgresql_then_report(
    tmp_path: Path, password: str, pg_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = make_fleet(tmp_path / "fleet", 3, 2, password)
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"{tmp_path / 'fleet' / n}\n" for n in names))
    env = {"PGSWEEP_STORE_KEY": KEY}
    done = run_cli("audit", "--repos", str(listing), "--executor", "dask", "--jobs", "2",
                   "--store", pg_store_url, "-f", "json", "--no-progress", env=env)
    assert done.returncode == 1, done.stderr
    audited = sorted(c["id"] for c in json.loads(done.stdout)["credentials"])
    assert len(audited) == 2
    report = run_cli("report", "--store", pg_store_url, "-f", "json", env=env)
    assert report.returncode == 0, report.stderr
    plan = json.loads(report.stdout)
    assert sorted(c["id"] for c in plan["credentials"]) == audited
    assert sorted(plan["scanned"]) == sorted(str(tmp_path / "fleet" / n) for n in names)
    assert password not in done.stdout + done.stderr + report.stdout + report.stderr
    monkeypatch.setenv("PGSWEEP_STORE_KEY", KEY)  # the team's key opens what workers found
    with Store.open(pg_store_url) as store:
        shared = [f for f in store.findings() if f.user == "app"]
        # results are recorded as they finish, in any order
        assert sorted((f.provenance.repo, f.secret) for f in shared) == [  # type: ignore[union-attr]
            (str(tmp_path / "fleet" / n), password) for n in names[:2]]


def test_24_file_urls_on_dask_three_share_one_password(tmp_path: Path, password: str) -> None:
    names = make_fleet(tmp_path / "fleet", 24, 3, password)
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"file://{tmp_path / 'fleet' / n}\n" for n in names))
    rc, doc, err = audit_json(tmp_path, listing, "--executor", "dask", "--jobs", "2")
    assert rc == 1, err
    assert len(doc["credentials"]) == 22
    [shared] = [c for c in doc["credentials"] if c["user"] == "app"]
    assert sorted(f["provenance"]["repo"] for f in doc["findings"]
                  if f["credential"] == shared["id"]) == [
        f"file://{tmp_path / 'fleet' / n}" for n in names[:3]]
    assert password not in json.dumps(doc) + err
