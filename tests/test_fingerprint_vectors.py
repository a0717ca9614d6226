"""Fingerprints and ids against fixed vectors: baselines, stores and SARIF depend on them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import scan_tree
from plan_fixtures import config, finding

from pgsweep.core.evolve import evolve
from pgsweep.findings.fingerprint import (
    KEY_ENV,
    credential_id,
    finding_id,
    fingerprint,
    fingerprints,
    provisional_fingerprint,
    seal,
)

SECRET = "correct horse battery staple"
UNICODE = "Pä-ß€ \U0001f511"
FP = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def unkeyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_unkeyed_fingerprints_are_scrypt_with_the_fixed_salt(unkeyed: None) -> None:
    assert fingerprint(SECRET) == "38f51e3953eb6dc7f56dc34ab3a121ba"
    assert fingerprint(UNICODE) == "8c894c01c47b4cf964730fa689975c8d"
    assert fingerprint("") == "afd928aca80629cb7992617e6bda2232"
    derived = hashlib.scrypt(SECRET.encode(), salt=b"pgsweep/fingerprint/v1", n=2**14, r=8,
                             p=1, dklen=32)
    assert fingerprint(SECRET) == derived.hex()[:32]


def test_fingerprints_derived_together_match_each_alone(unkeyed: None) -> None:
    secrets = [SECRET, UNICODE, "", SECRET, "a", "b"]
    together = fingerprints(secrets)
    assert list(together) == [SECRET, UNICODE, "", "a", "b"]
    assert together[SECRET] == "38f51e3953eb6dc7f56dc34ab3a121ba"
    assert together == {s: hashlib.scrypt(s.encode(), salt=b"pgsweep/fingerprint/v1", n=2**14,
                                          r=8, p=1, dklen=32).hex()[:32] for s in secrets}


def test_the_fingerprint_key_makes_fingerprints_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "team-secret-0123")
    assert fingerprint(SECRET) == "d57586b69ef4ce25ecab3819c766b58b"
    assert fingerprint(UNICODE) == "a6718274be657693a07bc692c17581f6"
    monkeypatch.setenv(KEY_ENV, "team-secret-0124")
    assert fingerprint(SECRET) not in ("d57586b69ef4ce25ecab3819c766b58b",
                                       "38f51e3953eb6dc7f56dc34ab3a121ba")


def test_a_scan_uses_the_fingerprint_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "team-secret-0123")
    result = scan_tree(tmp_path / "p", {
        "app.env": f"DATABASE_URL=postgresql://app:{SECRET.replace(' ', '-')}@db.corp.net/a\n"})
    [f] = result.findings
    assert f.fingerprint == fingerprint(SECRET.replace(" ", "-"))
    monkeypatch.delenv(KEY_ENV)
    assert f.fingerprint != fingerprint(SECRET.replace(" ", "-"))


def test_credential_ids_are_content_addressed_over_user_and_hosts() -> None:
    one = credential_id(FP, "app", ("db.corp.net",))
    assert one == "cf1c959690f5348a"
    assert credential_id(FP, "app", ("DB.corp.net",)) == one  # host names ignore case
    assert credential_id(FP, "app", ("db2.corp.net", "db.corp.net")) == "c391abe26f6f15d9"
    assert credential_id(FP, "app", ("db.corp.net", "db2.corp.net")) == "c391abe26f6f15d9"
    assert credential_id(FP, "app", ()) == "c7773ecb2a749f62"
    assert credential_id(FP, None, ("db.corp.net",)) == "c8dade7cf3de3417"
    assert credential_id(FP, "", ("db.corp.net",)) == "c8dade7cf3de3417"
    assert len({one, credential_id(FP, "app", ("db3.corp.net",)),
                credential_id(FP.replace("0", "1"), "app", ("db.corp.net",))}) == 3


def test_finding_ids_are_content_addressed() -> None:
    cid = credential_id(FP, "app", ("db.corp.net",))
    assert finding_id(cid, "pg.uri.1", "git:" + "a" * 40, 3) == "f5ad73ee3738773c"


def test_seal_attributes_while_it_derives_and_seals_the_attributed(unkeyed: None) -> None:
    sealed = [finding(s, "app", ("db.corp.example",), config()) for s in (SECRET, UNICODE)]
    pending = [evolve(f, fingerprint=provisional_fingerprint(f.secret), id="f?", credential="c?")
               for f in sealed]
    moved = seal(pending, lambda fs: [evolve(f, line=f.line + 1) for f in fs])
    assert [(f.line, f.fingerprint, f.credential) for f in moved] == [
        (f.line + 1, f.fingerprint, f.credential) for f in sealed]
    assert moved[0].fingerprint == "38f51e3953eb6dc7f56dc34ab3a121ba"
