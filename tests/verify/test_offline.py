"""Offline verification against verifiers the real server produced."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import make_password
from pgserver import PgServer

from pgsweep.core.models import CredentialId, SecretKind
from pgsweep.verify.interface import Status, Target
from pgsweep.verify.offline import (
    OfflineVerifier,
    Server,
    ServerSpecError,
    VerifierFileError,
    load_verifiers,
    md5_matches,
    read_verifiers,
    scram_matches,
)

FIXTURE_ROLES = ("alice", "bob", "carol", "dave", "erin", "frank")
# The leaked targets below name 127.0.0.1 (port 5432): the verifier files are bound to it.
SERVER = Server.parse(["127.0.0.1"])
AT = {"server": "127.0.0.1:5432"}
EXPECTED = {
    "alice": (Status.LIVE, {"verifier": "scram-sha-256", "match": "saslprep", **AT}),
    "bob": (Status.LIVE, {"verifier": "md5", **AT}),
    "carol": (Status.LIVE, {"verifier": "scram-sha-256", "match": "saslprep", **AT}),
    "dave": (Status.LIVE, {"verifier": "scram-sha-256", "match": "saslprep", **AT}),
    "erin": (Status.ROTATED, {"verifier": "scram-sha-256", **AT}),
    "frank": (Status.ROTATED, {"verifier": "md5", **AT}),
    "ghost": (Status.NO_VERIFIER, {"reason": "role not in the verifier file"}),
}


def leaked_target(name: str, secret: str, kind: SecretKind = SecretKind.PASSWORD) -> Target:
    return Target(credential=CredentialId(f"c-{name}"), user=name, hosts=("127.0.0.1",),
                  kind=kind, secret=secret)


def fixture_targets(pg_server: PgServer) -> list[Target]:
    targets = [leaked_target(n, pg_server.roles[n].leaked) for n in FIXTURE_ROLES]
    return [*targets, leaked_target("ghost", make_password())]


# ---------------------------------------------------------------- the three file forms
def authid_csv(pg_server: PgServer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rolname", "rolpassword"])
    writer.writerows(pg_server.authid())
    return out.getvalue()


def authid_psql_unaligned(pg_server: PgServer) -> str:
    """`psql -A -c 'SELECT rolname, rolpassword FROM pg_authid'` layout."""
    rows = pg_server.authid()
    body = "\n".join(f"{a}|{b}" for a, b in rows)
    return f"rolname|rolpassword\n{body}\n({len(rows)} rows)\n"


def authid_psql_aligned(pg_server: PgServer) -> str:
    """psql's default table, with a password-less role (an empty right column)."""
    rows = [*pg_server.authid(), ("pg_monitor", "")]
    width = max(len(a) for a, _ in rows)
    lines = [f" {'rolname':<{width}} | rolpassword", f"-{'-' * width}-+-{'-' * 20}"]
    lines += [f" {a:<{width}} | {b}".rstrip() for a, b in rows]
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


FORMS = {
    "pg_dumpall": lambda s: s.dumpall_roles(),
    "authid-csv": authid_csv,
    "authid-psql": authid_psql_unaligned,
    "authid-psql-aligned": authid_psql_aligned,
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_offline_statuses_against_real_verifiers(
    pg_server: PgServer, tmp_path: Path, form: str
) -> None:
    path = tmp_path / f"verifiers-{form}.txt"
    path.write_text(FORMS[form](pg_server), encoding="utf-8")
    results = OfflineVerifier.from_file(path, SERVER).verify(fixture_targets(pg_server))
    got = {r.user: (r.status, dict(r.detail)) for r in results}
    assert got == EXPECTED
    assert all(r.method == "offline" for r in results)


def test_aligned_table_keeps_password_less_roles(pg_server: PgServer) -> None:
    assert load_verifiers(authid_psql_aligned(pg_server))["pg_monitor"] is None


def test_real_dump_parses_to_the_servers_verifiers(pg_server: PgServer) -> None:
    parsed = load_verifiers(pg_server.dumpall_roles())
    authid = dict(pg_server.authid())
    assert {r: parsed[r] for r in FIXTURE_ROLES} == {r: authid[r] for r in FIXTURE_ROLES}
    assert parsed["pgsweep_admin"] is None  # the superuser has no password


def test_quoted_role_names_from_a_real_dump(pg_server: PgServer) -> None:
    name = 'Mixed "Case" role'
    role = pg_server.create_role(name, "scram-sha-256", make_password())
    parsed = load_verifiers(pg_server.dumpall_roles())
    assert parsed[name] == dict(pg_server.authid())[name]
    result = OfflineVerifier(parsed, SERVER).verify([leaked_target(name, role.leaked)])[0]
    assert result.status is Status.LIVE


# ---------------------------------------------------------------- md5 and SCRAM cases
def test_scram_saslprep_cases_of_the_lab_record(pg_server: PgServer) -> None:
    authid = dict(pg_server.authid())
    carol = pg_server.roles["carol"].leaked  # "ﬁ\u00a0x\u00ady-…"
    suffix = carol[len("\ufb01\u00a0x\u00ady"):]
    assert scram_matches(authid["carol"], carol) == (True, "saslprep")
    assert scram_matches(authid["carol"], "fi xy" + suffix) == (True, "saslprep")
    # the raw UTF-8 bytes of the ligature string, without SASLprep, do not match
    import base64
    import hashlib
    import hmac

    it_salt, keys = authid["carol"].split("$", 2)[1:]
    iterations, salt = it_salt.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", carol.encode(), base64.b64decode(salt), int(iterations))
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    assert base64.b64encode(stored).decode() != keys.split(":")[0]

    alice = pg_server.roles["alice"].leaked  # "Pä-…"
    assert scram_matches(authid["alice"], alice) == (True, "saslprep")
    assert scram_matches(authid["alice"], alice.replace("ä", "a")) == (False, None)

    dave = pg_server.roles["dave"].leaked  # it's "a" \ back-…
    assert scram_matches(authid["dave"], dave) == (True, "saslprep")
    assert scram_matches(authid["dave"], dave.replace("\\ ", "")) == (False, None)


def test_md5_cases_of_the_lab_record(pg_server: PgServer) -> None:
    authid = dict(pg_server.authid())
    bob = pg_server.roles["bob"].leaked
    assert md5_matches(authid["bob"], bob, "bob")
    assert not md5_matches(authid["bob"], bob[:-1] + ("x" if bob[-1] != "x" else "y"), "bob")
    assert not md5_matches(authid["bob"], bob, "bobby")  # the role name is the salt


def test_raw_form_matches_a_verifier_built_without_saslprep() -> None:
    """A client that skipped SASLprep stored the raw bytes' verifier: still found live."""
    import base64
    import hashlib
    import hmac
    import os

    password = "\ufb01-" + make_password()
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    verifier = f"SCRAM-SHA-256$4096:{b64(salt)}${b64(stored)}:{b64(server)}"
    assert scram_matches(verifier, password) == (True, "raw")


# ---------------------------------------------------------------- other statuses
def test_role_without_password_and_unusable_leaks(pg_server: PgServer) -> None:
    authid = dict(pg_server.authid())
    text = (
        "rolname,rolpassword\n"
        f"bob,{authid['bob']}\n"
        f"alice,{authid['alice']}\n"
        "nopass,\n"
    )
    verifier = OfflineVerifier(load_verifiers(text), SERVER)
    results = verifier.verify([
        leaked_target("nopass", make_password()),
        leaked_target("bob", authid["bob"], SecretKind.PASSWORD_HASH),  # leaked md5 hash
        leaked_target("alice", authid["bob"], SecretKind.PASSWORD_HASH),
        leaked_target("alice", "Pä", SecretKind.PARTIAL_PASSWORD),
        leaked_target("alice", ""),  # --no-store-secrets
        Target(credential=CredentialId("c-nouser"), user=None, hosts=("127.0.0.1",),
               secret="x"),
    ])
    assert [(r.user, r.status, dict(r.detail)) for r in results] == [
        ("nopass", Status.NO_VERIFIER, {"reason": "role has no password"}),
        ("bob", Status.LIVE, {"verifier": "md5", "match": "hash", **AT}),
        ("alice", Status.ROTATED, {"verifier": "scram-sha-256", "match": "hash", **AT}),
        ("alice", Status.SKIPPED, {"reason": "only part of the password leaked"}),
        ("alice", Status.SKIPPED, {"reason": "secret not stored; verify with --scan PATH"}),
        (None, Status.SKIPPED, {"reason": "no user in the leak"}),
    ]


def test_later_statements_win_and_password_null_clears(pg_server: PgServer) -> None:
    authid = dict(pg_server.authid())
    text = (
        f"CREATE ROLE alice LOGIN PASSWORD '{authid['erin']}';\n"
        f"ALTER ROLE alice WITH LOGIN PASSWORD '{authid['alice']}';\n"
        "ALTER ROLE alice WITH NOSUPERUSER;\n"
        f"CREATE USER erin PASSWORD '{authid['erin']}';\n"
        "ALTER ROLE erin PASSWORD NULL;\n"
    )
    assert load_verifiers(text) == {"alice": authid["alice"], "erin": None}


def test_malformed_or_absurd_scram_verifier_is_not_a_match() -> None:
    salt, key = "A" * 22 + "==", "B" * 43 + "="
    text = f"x,SCRAM-SHA-256$999999999:{salt}${key}:{key}\n"
    result = OfflineVerifier(load_verifiers(text)).verify([leaked_target("x", "pw-123456")])[0]
    assert (result.status, dict(result.detail)) == (
        Status.NO_VERIFIER, {"reason": "SCRAM iteration count 999999999 out of range"})


def test_a_file_without_roles_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.sql"
    path.write_text("-- nothing here\nSET client_encoding = 'UTF8';\n")
    with pytest.raises(VerifierFileError, match="no roles found"):
        read_verifiers(path)
    with pytest.raises(VerifierFileError, match="cannot read"):
        read_verifiers(tmp_path / "missing.sql")


def test_results_never_hold_the_secret(pg_server: PgServer) -> None:
    targets = fixture_targets(pg_server)
    verifier = OfflineVerifier(dict(pg_server.authid()))
    text = repr(targets) + repr(verifier.verify(targets)) + repr(
        [r.record() for r in verifier.verify(targets)])
    for t in targets:
        assert t.secret not in text


# ---------------------------------------------------------------- bound to a server
def staging_target(name: str, secret: str, hosts: tuple[str, ...] = ("pg-staging.corp.net",),
                   ports: tuple[str, ...] = ()) -> Target:
    return Target(credential=CredentialId(f"c-{name}-{len(hosts)}"), user=name, hosts=hosts,
                  ports=ports, secret=secret)


def test_a_dump_of_another_server_never_says_rotated(pg_server: PgServer) -> None:
    """The leak is migrator@pg-staging; the dump comes from an unrelated server (ours) that
    also has a role `migrator`, with another password. Name alone must not clear the leak."""
    other = pg_server.create_role("migrator", "scram-sha-256", make_password())
    verifiers = load_verifiers(pg_server.dumpall_roles())
    leak = staging_target("migrator", make_password())

    [unbound] = OfflineVerifier(verifiers).verify([leak])
    assert (unbound.status, dict(unbound.detail)) == (Status.UNCONFIRMED, {
        "verifier": "scram-sha-256",
        "reason": "no match in a verifier file not bound to a server "
                  "(--verifiers-host HOST[:PORT])"})
    [elsewhere] = OfflineVerifier(verifiers, Server.parse(["127.0.0.1"])).verify([leak])
    assert (elsewhere.status, dict(elsewhere.detail)) == (Status.SKIPPED, {
        "reason": "not a credential of the verifier file's server (127.0.0.1:5432)"})
    # the same password reused on this server: the file proves it works there
    reused = staging_target("migrator", other.leaked)
    [works] = OfflineVerifier(verifiers).verify([reused])
    assert (works.status, dict(works.detail)) == (Status.VALID, {
        "verifier": "scram-sha-256", "match": "saslprep",
        "reason": "matches a verifier file not bound to a server: the password works there"})
    assert works.status.is_usable
    # bound to the leak's own server (the user says the dump came from it): a verdict
    own = Server.parse(["PG-Staging.corp.net.:5432"])
    assert [r.status for r in OfflineVerifier(verifiers, own).verify([leak, reused])] == [
        Status.ROTATED, Status.LIVE]


def test_a_bound_file_judges_only_the_hosts_it_covers(pg_server: PgServer) -> None:
    authid = dict(pg_server.authid())
    verifiers = {"erin": authid["erin"], "alice": authid["alice"]}
    erin, alice = pg_server.roles["erin"].leaked, pg_server.roles["alice"].leaked
    server = Server.parse(["db1.corp.net:6432", "10.0.0.7:6432"])
    cases = [
        staging_target("erin", erin, ("db1.corp.net",), ("6432",)),
        staging_target("erin", erin, ("10.0.0.7", "db1.corp.net"), ("6432",)),  # one port: all
        staging_target("erin", erin, ("db1.corp.net", "db2.corp.net"), ("6432", "6432")),
        staging_target("erin", erin, ("db1.corp.net",)),  # default port 5432: another server
        staging_target("erin", erin, ("db1.corp.net",), ("64x2",)),
        staging_target("erin", erin, ()),  # the default socket
        staging_target("alice", alice, ("db2.corp.net", "db1.corp.net"), ("5432", "6432")),
    ]
    results = OfflineVerifier(verifiers, server).verify(cases)
    at = str(server)
    assert at == "10.0.0.7:6432, db1.corp.net:6432"
    other = {"reason": f"not a credential of the verifier file's server ({at})"}
    assert [(r.status, dict(r.detail)) for r in results] == [
        (Status.ROTATED, {"verifier": "scram-sha-256", "server": at}),
        (Status.ROTATED, {"verifier": "scram-sha-256", "server": at}),
        (Status.UNCONFIRMED, {"verifier": "scram-sha-256", "server": at, "reason":
                              "no match, but the credential's other hosts are not this server"}),
        (Status.SKIPPED, other),
        (Status.SKIPPED, other),
        (Status.SKIPPED, other),
        (Status.LIVE, {"verifier": "scram-sha-256", "match": "saslprep", "server": at}),
    ]


@pytest.mark.parametrize(("specs", "endpoints"), [
    (["db.corp.net"], {("db.corp.net", 5432)}),
    (["DB.Corp.Net.:6432", "10.0.0.7:6432"], {("db.corp.net", 6432), ("10.0.0.7", 6432)}),
    (["[::1]:6543"], {("::1", 6543)}),
    (["[0:0::1]"], {("::1", 5432)}),
    (["fd00::7"], {("fd00::7", 5432)}),
])
def test_server_specs(specs: list[str], endpoints: set[tuple[str, int]]) -> None:
    assert Server.parse(specs).endpoints == endpoints


@pytest.mark.parametrize("spec", ["", ":5432", "db:", "db:port", "db:70000", "[::1]x", "db:0"])
def test_bad_server_specs(spec: str) -> None:
    with pytest.raises(ServerSpecError, match="--verifiers-host"):
        Server.parse([spec])
