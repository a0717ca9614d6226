"""Live verification against the real server: valid, invalid, unknown, TLS, SSRF refusal."""

from __future__ import annotations

import pytest
from conftest import make_password
from pgserver import PgServer

from pgsweep.core.models import CredentialId, SecretKind
from pgsweep.verify.interface import DetailValue, Status, Target, VerificationResult
from pgsweep.verify.live import (
    Endpoint,
    LiveVerifier,
    Refused,
    classify,
    conninfo_for,
    embedded_ipv4,
    is_internal_address,
    plan_endpoints,
    refusal,
)


def target(pg_server: PgServer, user: str, secret: str, *, database: str | None = "postgres",
           sslmode: str | None = None, hosts: tuple[str, ...] = ("127.0.0.1",),
           ports: tuple[str, ...] | None = None) -> Target:
    return Target(
        credential=CredentialId(f"c-{user}-{database}-{sslmode}"),
        user=user,
        hosts=hosts,
        ports=ports if ports is not None else (str(pg_server.port),),
        database=database,
        sslmode=sslmode,
        secret=secret,
    )


@pytest.fixture(scope="module")
def internal() -> LiveVerifier:
    return LiveVerifier(allow_internal=True, min_interval=0.01)


def summary(r: VerificationResult) -> tuple[str | None, Status, DetailValue, DetailValue]:
    return (r.user, r.status, r.detail.get("sqlstate"), r.detail.get("tls"))


def test_valid_invalid_for_every_fixture_role(pg_server: PgServer, internal: LiveVerifier) -> None:
    roles = pg_server.roles
    targets = [target(pg_server, n, roles[n].leaked, sslmode="require")
               for n in ("alice", "bob", "carol", "dave", "erin", "frank")]
    targets.append(target(pg_server, "ghost", make_password(), sslmode="require"))
    results = internal.verify(targets)
    assert [summary(r) for r in results] == [
        ("alice", Status.VALID, None, True),
        ("bob", Status.VALID, None, True),  # md5-stored, hba md5
        ("carol", Status.VALID, None, True),  # libpq applies SASLprep too
        ("dave", Status.VALID, None, True),
        ("erin", Status.INVALID, "28P01", True),  # rotated after the leak
        ("frank", Status.INVALID, "28P01", True),
        ("ghost", Status.INVALID, "28P01", True),  # no such role: same answer as a bad password
    ]
    assert all(r.method == "live" and r.detail["host"] == "127.0.0.1" for r in results)


def test_missing_database_counts_as_valid(pg_server: PgServer, internal: LiveVerifier) -> None:
    alice = pg_server.roles["alice"]
    good, bad = internal.verify([
        target(pg_server, "alice", alice.current, database="no_such_db"),
        target(pg_server, "erin", pg_server.roles["erin"].leaked, database="no_such_db"),
    ])
    assert (good.status, good.detail["sqlstate"], good.detail["reason"]) == (
        Status.VALID, "3D000", "authenticated; the database does not exist")
    assert (bad.status, bad.detail["sqlstate"]) == (Status.INVALID, "28P01")


def test_tls_use_is_recorded(pg_server: PgServer, internal: LiveVerifier) -> None:
    alice = pg_server.roles["alice"].current
    erin = pg_server.roles["erin"].leaked
    results = internal.verify([
        target(pg_server, "alice", alice, sslmode="require"),
        target(pg_server, "alice", alice, sslmode="disable"),
        target(pg_server, "alice", alice),  # no sslmode in the leak: prefer
        target(pg_server, "erin", erin, sslmode="require"),
        target(pg_server, "erin", erin, sslmode="disable"),
        target(pg_server, "erin", erin),  # prefer: libpq retries without TLS after a failure
    ])
    assert [(r.status, r.detail["tls"], r.detail["sslmode"]) for r in results] == [
        (Status.VALID, True, "require"),
        (Status.VALID, False, "disable"),
        (Status.VALID, True, "prefer"),
        (Status.INVALID, True, "require"),
        (Status.INVALID, False, "disable"),
        (Status.INVALID, False, "prefer"),
    ]


def test_unknown_when_nothing_listens(pg_server: PgServer, internal: LiveVerifier) -> None:
    from pgserver import free_port

    r = internal.verify([target(pg_server, "alice", pg_server.roles["alice"].current,
                                ports=(str(free_port()),))])[0]
    assert (r.status, r.detail["sqlstate"], r.detail["tls"]) == (Status.UNKNOWN, None, None)
    assert r.detail["reason"] == "Connection refused"


def test_next_host_is_tried_only_when_unreachable(
    pg_server: PgServer, internal: LiveVerifier
) -> None:
    from pgserver import free_port

    alice = pg_server.roles["alice"].current
    r = internal.verify([target(pg_server, "alice", alice, hosts=("127.0.0.1", "localhost"),
                                ports=(str(free_port()), str(pg_server.port)))])[0]
    assert (r.status, r.detail["host"]) == (Status.VALID, "localhost")


# ---------------------------------------------------------------- SSRF guard
def test_loopback_is_refused_without_allow_internal(pg_server: PgServer) -> None:
    alice = pg_server.roles["alice"].current
    results = LiveVerifier(min_interval=0.01).verify([
        target(pg_server, "alice", alice),
        target(pg_server, "alice", alice, hosts=("localhost",)),
        target(pg_server, "alice", alice, hosts=(str(pg_server.socket_dir),)),
        target(pg_server, "alice", alice, hosts=()),
    ])
    assert [(r.status, r.detail["reason"]) for r in results] == [
        (Status.REFUSED, "127.0.0.1 resolves to internal address 127.0.0.1 (use --allow-internal)"),
        (Status.REFUSED, "localhost resolves to internal address 127.0.0.1 (use --allow-internal)"),
        (Status.REFUSED, f"unix socket {pg_server.socket_dir}: internal (use --allow-internal)"),
        (Status.REFUSED, "unix socket (default): internal (use --allow-internal)"),
    ]


def test_unix_socket_allowed_with_allow_internal(
    pg_server: PgServer, internal: LiveVerifier
) -> None:
    r = internal.verify([target(pg_server, "alice", "wrong-" + make_password(),
                                hosts=(str(pg_server.socket_dir),))])[0]
    # hba has no `local` line for alice: the server answers 28000, not a password verdict
    assert (r.status, r.detail["sqlstate"]) == (Status.UNKNOWN, "28000")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "::1", "fe80::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "224.0.0.1", "fe80::1%eth0", "::", "255.255.255.255", "198.18.0.1", "240.0.0.1",
    # IPv6 forms that lead to an internal IPv4 address
    "::127.0.0.1", "::7f00:1", "::10.0.0.1", "::169.254.169.254",  # IPv4-compatible
    "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe",  # IPv4-translated (SIIT)
    "64:ff9b::7f00:1", "64:ff9b::127.0.0.1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",  # NAT64
    "64:ff9b:1::808:808",  # local-use NAT64 prefix: the network's own translator
    "2002:7f00:1::1", "2002:a00:1::", "2002:c0a8:101:1::1",  # 6to4
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "ff02::1",
])
def test_internal_addresses(address: str) -> None:
    assert is_internal_address(address)


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
    "64:ff9b::1.1.1.1", "2002:808:808::1",
])
def test_public_addresses(address: str) -> None:
    assert not is_internal_address(address)


def test_embedded_ipv4_of_every_form() -> None:
    from ipaddress import IPv4Address, IPv6Address

    def v4s(text: str) -> list[str]:
        return [str(a) for a in embedded_ipv4(IPv6Address(text))]

    assert v4s("::ffff:10.1.2.3") == ["10.1.2.3"]
    assert v4s("::10.1.2.3") == ["10.1.2.3"]
    assert v4s("::ffff:0:10.1.2.3") == ["10.1.2.3"]
    assert v4s("64:ff9b::10.1.2.3") == ["10.1.2.3"]
    assert v4s("2002:a01:203::5") == ["10.1.2.3"]
    assert v4s("2001:0:4136:e378:8000:63bf:80ff:fffe") == ["65.54.227.120", "127.0.0.1"]
    assert v4s("2606:4700:4700::1111") == []
    assert IPv4Address("10.1.2.3") not in embedded_ipv4(IPv6Address("2606:4700::a01:203"))


@pytest.mark.parametrize(("host", "address"), [
    ("2130706433", "127.0.0.1"),  # decimal
    ("0x7f000001", "127.0.0.1"),  # hexadecimal
    ("0177.0.0.1", "127.0.0.1"),  # octal
    ("127.1", "127.0.0.1"),  # short form
    ("0x7f.1", "127.0.0.1"),
    ("012.0.0.1", "10.0.0.1"),
    ("0", "0.0.0.0"),
    ("::127.0.0.1", "::127.0.0.1"),
    ("::7f00:1", "::127.0.0.1"),
    ("64:ff9b::7f00:1", "64:ff9b::7f00:1"),
    ("::ffff:7f00:1", "::ffff:127.0.0.1"),
    ("2002:7f00:1::1", "2002:7f00:1::1"),
    ("localhost", "127.0.0.1"),
])
def test_every_spelling_of_an_internal_host_is_refused(host: str, address: str) -> None:
    """The host is resolved by the system resolver, as libpq would, before any contact."""
    t = Target(credential=CredentialId("c"), user="app", hosts=(host,), secret="x")
    with pytest.raises(Refused) as caught:
        plan_endpoints(t, allow_internal=False)
    assert str(caught.value) == (
        f"{host} resolves to internal address {address} (use --allow-internal)")


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    """A name with several addresses is refused when any of them is internal, in any order."""
    public, internal = "93.184.215.14", "10.0.0.5"
    for addresses in ([public, internal], [internal, public], [public, public, "::1"],
                      ["2606:4700::1111", "64:ff9b::a00:5"]):
        reason = refusal("db.example.com", addresses)
        assert reason is not None and reason.startswith(
            "db.example.com resolves to internal address "), addresses
    assert refusal("db.example.com", [public, "2606:4700::1111"]) is None
    assert refusal("db.example.com", []) is None


def test_every_host_of_a_list_is_checked_before_any_is_contacted() -> None:
    t = Target(credential=CredentialId("c"), user="app", hosts=("8.8.8.8", "10.0.0.5"),
               ports=("5432", "6432"), secret="x")
    with pytest.raises(Refused, match=r"10\.0\.0\.5 resolves to internal address 10\.0\.0\.5"):
        plan_endpoints(t, allow_internal=False)
    endpoints, unresolved = plan_endpoints(t, allow_internal=True)
    assert endpoints == [
        Endpoint("8.8.8.8", "8.8.8.8", 5432), Endpoint("10.0.0.5", "10.0.0.5", 6432)]
    assert unresolved == []


def test_the_connection_goes_to_the_checked_address_only() -> None:
    """hostaddr is the address that was checked; nothing from the leak but its own host."""
    from psycopg.conninfo import conninfo_to_dict

    t = Target(credential=CredentialId("c"), user="app", hosts=("localhost",), ports=("6543",),
               database="prod", sslmode="verify-full", secret="it's a \\ secret")
    info = conninfo_to_dict(conninfo_for(t, Endpoint("localhost", "127.0.0.1", 6543), 5))
    assert info["host"] == "localhost" and info["hostaddr"] == "127.0.0.1"
    assert info["port"] == "6543" and info["connect_timeout"] == "5"
    assert info["password"] == "it's a \\ secret" and info["sslmode"] == "verify-full"
    assert info["gssencmode"] == "disable"


def test_not_attempted_without_a_usable_secret(pg_server: PgServer, internal: LiveVerifier) -> None:
    results = internal.verify([
        Target(credential=CredentialId("a"), user=None, hosts=("127.0.0.1",), secret="x"),
        Target(credential=CredentialId("b"), user="bob", hosts=("127.0.0.1",),
               secret="md5" + "0" * 32, kind=SecretKind.PASSWORD_HASH),
        Target(credential=CredentialId("c"), user="bob", hosts=("127.0.0.1",), secret=""),
    ])
    assert [(r.status, r.detail["reason"]) for r in results] == [
        (Status.SKIPPED, "no user in the leak"),
        (Status.SKIPPED, "a password-hash, not a password"),
        (Status.SKIPPED, "secret not stored; verify with --scan PATH"),
    ]


def test_classify_without_sqlstate_falls_back_to_server_text() -> None:
    assert classify('FATAL:  password authentication failed for user "a"', "s")[:2] == (
        Status.INVALID, "28P01")
    assert classify('FATAL:  database "x" does not exist', "s")[:2] == (Status.VALID, "3D000")
    assert classify("FATAL:  53300", "s")[:2] == (Status.UNKNOWN, "53300")
    status, state, reason = classify("could not parse s3cr3t-value", "s3cr3t-value")
    assert (status, state) == (Status.UNKNOWN, None) and "s3cr3t-value" not in (reason or "")


def test_results_never_hold_the_secret(pg_server: PgServer, internal: LiveVerifier) -> None:
    roles = pg_server.roles
    targets = [target(pg_server, n, roles[n].leaked) for n in ("carol", "dave", "erin")]
    text = repr(targets) + repr([r.record() for r in internal.verify(targets)])
    for n in ("carol", "dave", "erin"):
        assert roles[n].leaked not in text and roles[n].current not in text
