"""Undecodable bytes go into the store and come back unchanged; notes never hold the secret."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import store_contents

from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.files import FileSource
from pgsweep.store import Store, StoreError, repo_key_for


@pytest.fixture
def odd_bytes(tmp_path: Path) -> tuple[Path, str]:
    """A folder with a non-UTF-8 name holding a file with a non-UTF-8 name, user, host,
    database and password (the bytes 0xff, 0xfe, 0xfd, 0xfc and 0xfb)."""
    root = tmp_path / "proj\udcff"
    root.mkdir()
    secret = "\udcfbbc7Def9Ghij"
    (root / "conf\udcfe.env").write_bytes(
        b"DATABASE_URL=postgresql://ap\xfdp:" + secret.encode("utf-8", "surrogateescape")
        + b"@db\xfc.example.com/pro\xfad\n"
    )
    return root, secret


@pytest.mark.parametrize("store_secrets", [True, False])
def test_undecodable_bytes_round_trip_through_the_store(
    store_location: str, odd_bytes: tuple[Path, str], all_signatures: list[Signature],
    store_secrets: bool,
) -> None:
    root, secret = odd_bytes
    result = Scanner(all_signatures).run(FileSource(root))
    [found] = result.findings
    assert (found.provenance.path, found.user, found.hosts, found.database, found.secret) == (
        str(root / "conf\udcfe.env"), "ap\udcfdp", ("db\udcfc.example.com",), "pro\udcfad",
        secret)
    with Store.open(store_location, store_secrets=store_secrets) as store:
        store.record_scan(result, str(root))
        [f] = store.findings(repo_key_for(str(root)))
        assert f == (found if store_secrets else replace(found, secret=""))
        [c] = store.credentials()
        assert (c.user, c.hosts, c.database, c.redacted) == (
            "ap\udcfdp", ("db\udcfc.example.com",), "pro\udcfad", "\\xfbb…ij (12 chars)")
        assert c.redacted == redact(secret)
    with Store.open(store_location) as store:  # and again from another connection
        assert store.findings()[0].user == "ap\udcfdp"
        assert [t.path for t in store.targets()] == [str(root)]
        assert store.resolve_target(str(root)).path == str(root)
    raw = store_contents(store_location)
    # the original bytes (PostgreSQL text holds them as hex), not a lossy replacement
    assert b"ap\xfdp" in raw or b"ap\xfdp".hex().encode() in raw
    assert secret.encode("utf-8", "surrogateescape") not in raw
    assert secret.encode("utf-8", "surrogateescape").hex().encode() not in raw


@pytest.fixture
def hashes_only_store(tmp_path: Path, all_signatures: list[Signature]) -> tuple[Store, str, str]:
    root = tmp_path / "proj"
    root.mkdir()
    secret = "Wd5Rt8Yh3Kp6"
    (root / "app.env").write_text(f"URL=postgresql://app:{secret}@db.example.com/prod\n")
    store = Store.open(tmp_path / "s.db", store_secrets=False)
    store.record_scan(Scanner(all_signatures).run(FileSource(root)), str(root))
    return store, store.credentials()[0].id, secret


@pytest.mark.parametrize("note", [
    "Wd5Rt8Yh3Kp6", "old password was Wd5Rt8Yh3Kp6, rotated", "pw:Wd5Rt8Yh3Kp6\n",
])
def test_a_note_with_the_secret_is_refused_by_a_store_of_hashes_only(
    hashes_only_store: tuple[Store, str, str], note: str
) -> None:
    store, cid, _ = hashes_only_store
    with store:
        with pytest.raises(StoreError, match="the note contains the credential's secret"):
            store.triage(cid, "rotated", note)
        assert store.triage_states()[cid].note is None


def test_a_note_without_the_secret_is_kept_by_a_store_of_hashes_only(
    hashes_only_store: tuple[Store, str, str]
) -> None:
    store, cid, secret = hashes_only_store
    with store:
        note = f"rotated by ops; it was {secret[:-1]}, one character short"
        store.triage(cid, "rotated", note)
        assert store.triage_states()[cid].note == note
        store.triage(cid, "accepted", "term \x1b[31m and \udcff byte")
        assert store.triage_states()[cid].note == "term \x1b[31m and \udcff byte"
