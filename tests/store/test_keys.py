"""The store key's primitives against fixed vectors, and a fresh AES-GCM nonce per secret."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import make_password, scan_tree

from pgsweep.store import Store
from pgsweep.store.keys import NONCE_BYTES, StoreKey

MASTER = bytes(range(32))
SECRET = "correct horse battery staple"
CONTEXT = "c0123456789abcde"
# AES-256-GCM under the HKDF-derived key of MASTER, nonce 64..6f, the context as AAD.
BLOB = bytes.fromhex(
    "6465666768696a6b6c6d6e6f75cf9c519865acc80cd76e792b9534d13d95776614ad7d1ef86480b4cd"
    "7189326a680214f3937dd18ad9bf07")


def test_derived_keys_match_fixed_vectors() -> None:
    key = StoreKey.from_master(MASTER, "test")
    assert key.key_id == "52dbcf6b93d935b46a39f76933e3ce4e"
    assert key.keyed_hash(SECRET) == (
        "9f4b2bf72c77e6ebdb3fa050097384dd1240a014bcb44da4b170f3cac4805762")
    assert key.decrypt(BLOB, CONTEXT) == SECRET
    assert key.decrypt(BLOB, "c0123456789abcdf") is None  # bound to its credential id
    assert StoreKey.from_master(bytes(32), "other").decrypt(BLOB, CONTEXT) is None


def test_every_encryption_draws_a_fresh_nonce() -> None:
    key = StoreKey.from_master(MASTER, "test")
    blobs = [key.encrypt(SECRET, CONTEXT) for _ in range(64)]
    assert len({b[:NONCE_BYTES] for b in blobs}) == 64
    assert len(set(blobs)) == 64
    assert all(key.decrypt(b, CONTEXT) == SECRET for b in blobs)


def test_no_two_stored_secrets_share_a_nonce(tmp_path: Path) -> None:
    """A reused GCM nonce leaks the XOR of two plaintexts: the store's blobs must differ."""
    passwords = [make_password() for _ in range(6)]
    result = scan_tree(tmp_path / "proj", {
        f"app{i}.env": f"DATABASE_URL=postgresql://u{i}:{pw}@db.corp.net/app\n"
        for i, pw in enumerate(passwords)})
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.record_scan(result, str(tmp_path / "proj"))
    conn = sqlite3.connect(db)
    blobs = [bytes(b) for (b,) in conn.execute("SELECT secret FROM credentials")]
    conn.close()
    assert len(blobs) == 6
    assert len({b[:NONCE_BYTES] for b in blobs}) == 6
