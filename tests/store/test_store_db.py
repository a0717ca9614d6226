"""The findings store: round trips, encryption at rest, key handling, triage, verifications."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import store_contents

from pgsweep.core.models import FindingId, RuleId
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner, ScanResult
from pgsweep.sources.files import FileSource
from pgsweep.store import (
    KEY_ENV,
    SCHEMA_VERSION,
    Store,
    StoreError,
    StoreKeyError,
    default_key_path,
    default_store_path,
    repo_key_for,
)


@pytest.fixture
def scan(all_signatures: list[Signature]) -> Callable[[Path], ScanResult]:
    scanner = Scanner(all_signatures)

    def run(root: Path) -> ScanResult:
        return scanner.run(FileSource(root))

    return run


@pytest.fixture
def project(tmp_path: Path, password: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "settings.env").write_text(
        f"# prod\nDATABASE_URL=postgresql://app:{password}@db.corp.net:5432/prod\n"
    )
    return root


def test_round_trip_keeps_every_field_and_decrypts_the_secret(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    result = scan(project)
    with Store.open(store_location) as store:
        scan_id = store.record_scan(result, str(project))
        assert scan_id == 1
        assert store.schema_version == SCHEMA_VERSION
        assert store.findings() == list(result.findings)
        [f] = store.findings()
        assert (f.provenance.path, f.line, f.user, f.hosts, f.database) == (
            str(project / "settings.env"), 2, "app", ("db.corp.net",), "prod",
        )
        assert f.secret == password
        [c] = store.credentials()
        assert c == result.credentials[0]
        assert c.redacted == redact(password)
        assert store.findings(repo_key_for(str(project))) == [f]
        assert store.findings("/elsewhere") == []


def test_the_store_file_alone_holds_no_plaintext(
    tmp_path: Path,
    project: Path,
    password: str,
    scan: Callable[[Path], ScanResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
        store.record_verification(
            store.credentials()[0].id, "offline", "live", {"method": "scram-sha-256"}
        )
    raw = db.read_bytes()
    assert password.encode() not in raw
    assert password.encode("utf-16-le") not in raw
    assert b"db.corp.net" in raw  # the file is what we think it is
    assert oct(db.stat().st_mode & 0o777) == "0o600"

    # A copy opened with another key (another machine) reveals nothing and refuses writes.
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    monkeypatch.setenv(KEY_ENV, secrets.token_urlsafe(32))
    with Store.open(copy) as stolen:
        assert not stolen.secrets_available
        [f] = stolen.findings()
        assert f.secret == ""
        assert f.user == "app"
        assert stolen.credentials()[0].redacted == redact(password)
        with pytest.raises(StoreError, match="different key"):
            stolen.record_scan(scan(project), str(project))


def test_a_store_holds_no_plaintext_and_another_key_reveals_nothing(
    store_location: str,
    project: Path,
    password: str,
    scan: Callable[[Path], ScanResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Store.open(store_location) as store:
        store.record_scan(scan(project), str(project))
        store.triage(store.credentials()[0].id, "rotated", "new password deployed")
        store.record_verification(
            store.credentials()[0].id, "offline", "live", {"method": "scram-sha-256"})
    raw = store_contents(store_location)
    assert b"db.corp.net" in raw and b"new password deployed" in raw
    assert password.encode() not in raw
    assert password.encode("utf-16-le") not in raw
    assert password[2:-2].encode() not in raw  # not even a part of it
    monkeypatch.setenv(KEY_ENV, secrets.token_urlsafe(32))  # another team's key
    with Store.open(store_location) as other:
        assert not other.secrets_available
        [f] = other.findings()
        assert (f.secret, f.user) == ("", "app")
        assert other.credentials()[0].redacted == redact(password)
        with pytest.raises(StoreError, match="different key"):
            other.record_scan(scan(project), str(project))


def test_key_file_is_created_private_and_a_lost_key_locks_the_secrets(
    tmp_path: Path, project: Path, scan: Callable[[Path], ScanResult]
) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
    key = default_key_path()
    assert key.is_file()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert key.read_text().strip() not in db.read_text(errors="replace")

    key.unlink()  # the key is lost: a new one must not be minted for an existing store
    with Store.open(db) as store:
        assert not store.secrets_available
        assert store.findings()[0].secret == ""
        with pytest.raises(StoreError, match="no store key"):
            store.ensure_writable()
    assert not key.exists()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path / "s.db").close()
    default_key_path().chmod(0o644)
    with pytest.raises(StoreKeyError, match="chmod 600"):
        Store.open(tmp_path / "s.db")


def test_key_from_the_environment(
    store_location: str,
    project: Path,
    password: str,
    scan: Callable[[Path], ScanResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "k" * 8)
    with pytest.raises(StoreKeyError, match="too short"):
        Store.open(store_location)
    key = secrets.token_urlsafe(32)
    monkeypatch.setenv(KEY_ENV, key)
    with Store.open(store_location) as store:
        store.record_scan(scan(project), str(project))
    assert not default_key_path().exists()
    with Store.open(store_location) as store:
        assert store.findings()[0].secret == password
    assert key.encode() not in store_contents(store_location)


def test_no_store_secrets_keeps_only_a_keyed_hash(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    db = store_location
    with Store.open(db, store_secrets=False) as store:
        store.record_scan(scan(project), str(project))
        [f] = store.findings()
        assert f.secret == ""
        [c] = store.credentials()
        assert c.redacted == redact(password)
        assert store.secret_matches(c.id, password)
        assert not store.secret_matches(c.id, password + "x")
    assert password.encode() not in store_contents(db)
    # A later scan that may store secrets fills the secret in.
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
        assert store.findings()[0].secret == password


def test_default_path_is_under_the_user_data_dir(private_user_dirs: Path) -> None:
    with Store.open() as store:
        assert store.path == default_store_path()
        assert store.path == private_user_dirs / "data" / "pgsweep" / "store.db"
    assert default_key_path() == private_user_dirs / "config" / "pgsweep" / "store.key"


def test_open_without_create_and_on_a_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no findings store"):
        Store.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a usable findings store"):
        Store.open(junk)


# ------------------------------------------------------------------------------- triage
def test_triage_persists_across_scans_and_rotated_reopens_at_a_new_place(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    db = store_location
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
        [c] = store.credentials()
        assert store.triage_states()[c.id].status == "open"
        store.triage(c.id, "rotated", "new password deployed")

    # Rescanning the same places keeps the decision.
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
        state = store.triage_states()[c.id]
        assert (state.status, state.note) == ("rotated", "new password deployed")

    # The same (old) password shows up in a file it was never in: reopened.
    (project / "backup.sql").write_text(
        f"\\connect postgresql://app:{password}@db.corp.net:5432/prod\n"
    )
    with Store.open(db) as store:
        store.record_scan(scan(project), str(project))
        state = store.triage_states()[c.id]
        assert state.status == "open"
        assert state.note == (
            f"reopened by scan 3: seen at a new place ({project / 'backup.sql'}:1) after being "
            "marked rotated; earlier note: new password deployed"
        )
        assert [f.provenance.path for f in store.findings()] == [
            str(project / "settings.env"), str(project / "backup.sql"),
        ]
        assert store.credentials()[0].findings == tuple(f.id for f in store.findings())


def test_a_new_rule_at_a_known_place_is_not_a_new_place(
    store_location: str, project: Path, scan: Callable[[Path], ScanResult]
) -> None:
    first = scan(project)
    [f] = first.findings
    other_rule = replace(f, id=FindingId("f" + "0" * 15), rule=RuleId("pg.other.1"))
    with Store.open(store_location) as store:
        store.record_scan(first, str(project))
        store.triage(f.credential, "rotated", None)
        store.record_scan(replace(first, findings=(f, other_rule)), str(project))
        assert store.triage_states()[f.credential].status == "rotated"
        assert [x.rule for x in store.findings()] == ["pg.uri.1", "pg.other.1"]


def test_false_positive_and_accepted_survive_new_places(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    with Store.open(store_location) as store:
        store.record_scan(scan(project), str(project))
        [c] = store.credentials()
        store.triage(c.id, "false-positive", None)
        (project / "copy.env").write_text(f"URL=postgresql://app:{password}@db.corp.net:5432/prod\n")
        store.record_scan(scan(project), str(project))
        state = store.triage_states()[c.id]
        assert (state.status, state.note) == ("false-positive", None)
        store.triage(c.id, "accepted", "test fixture database")
        assert store.triage_states()[c.id].status == "accepted"


def test_triage_rejects_unknown_status_credential_and_secrets(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    with Store.open(store_location) as store:
        store.record_scan(scan(project), str(project))
        [c] = store.credentials()
        with pytest.raises(StoreError, match="unknown triage status"):
            store.triage(c.id, "fixed", None)
        with pytest.raises(StoreError, match="no credential cdeadbeef"):
            store.triage("cdeadbeef", "rotated", None)
        with pytest.raises(StoreError, match="note contains the credential's secret"):
            store.triage(c.id, "rotated", f"old one was {password}")
        assert store.triage_states()[c.id].status == "open"
        assert store.resolve_credential_id(c.id[:5]) == c.id
        with pytest.raises(StoreError, match="no credential"):
            store.resolve_credential_id("zz")


# ------------------------------------------------------------------------ verifications
def test_verifications_round_trip_and_never_hold_the_secret(
    store_location: str, project: Path, password: str, scan: Callable[[Path], ScanResult]
) -> None:
    with Store.open(store_location) as store:
        store.record_scan(scan(project), str(project))
        [c] = store.credentials()
        store.record_verification(c.id, "offline", "live", {"verifier": "scram-sha-256"})
        store.record_verification(c.id, "live", "invalid", {"sqlstate": "28P01", "tls": True})
        records = store.verifications()[c.id]
        assert [(r.method, r.status, dict(r.detail)) for r in records] == [
            ("offline", "live", {"verifier": "scram-sha-256"}),
            ("live", "invalid", {"sqlstate": "28P01", "tls": True}),
        ]
        with pytest.raises(StoreError, match="contains the credential's secret"):
            store.record_verification(c.id, "live", "unknown", {"error": f"auth {password} bad"})
        assert len(store.verifications()[c.id]) == 2


# ---------------------------------------------------------------------- scanned tips
def test_scanned_tips_are_replaced_per_repository_and_version(store_location: str) -> None:
    with Store.open(store_location) as store:
        assert store.scanned_tips("/r", "v1") == []
        store.remember_tips("/r", "v1", ["b" * 40, "a" * 40])
        store.remember_tips("/other", "v1", ["c" * 40])
        assert store.scanned_tips("/r", "v1") == ["a" * 40, "b" * 40]
        assert store.scanned_tips("/r", "v2") == []
        store.remember_tips("/r", "v1", ["d" * 40])
    with Store.open(store_location) as store:
        assert store.scanned_tips("/r", "v1") == ["d" * 40]
        assert store.scanned_tips("/other", "v1") == ["c" * 40]

