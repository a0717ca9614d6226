"""Opt-in live verification: try to log in with each leaked credential, never run a query.

Only this module imports psycopg. Every host is resolved and checked before anything is
sent: loopback, private, link-local, unique-local and other non-global addresses and unix
sockets are refused unless `allow_internal`; the connection then goes to the very address
that was checked (`hostaddr`), with the credential's own host name for TLS. Attempts run on
a small thread pool with a minimum interval between connection starts.
"""

from __future__ import annotations

import ctypes
import functools
import ipaddress
import re
import selectors
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pgsweep.core.models import SecretKind
from pgsweep.verify.interface import (
    DetailValue,
    Status,
    Target,
    VerificationResult,
    VerifyError,
    result,
)

METHOD = "live"
CONNECT_TIMEOUT = 5  # seconds per host attempt, as libpq's connect_timeout
MAX_WORKERS = 4
MIN_INTERVAL = 0.1  # seconds between connection starts, across all workers
DEFAULT_PORT = 5432
APPLICATION_NAME = "pgsweep-verify"
SQLSTATE_VALID = {"3D000"}  # invalid_catalog_name: authenticated, the database is missing
SQLSTATE_INVALID = {"28P01"}  # invalid_password
_PQERRORS_SQLSTATE = 3  # libpq >= 12: error messages are just "FATAL:  <SQLSTATE>"
_SQLSTATE_RE = re.compile(r"\b(?:FATAL|ERROR|PANIC):\s+([0-9A-Z]{5})\b")
# When the SQLSTATE cannot be obtained, the English server messages are the fallback.
_TEXT_STATES = (
    (re.compile(r"password authentication failed for user"), "28P01"),
    (re.compile(r"database \".*\" does not exist"), "3D000"),
)


class LiveVerifyError(VerifyError):
    """Live verification cannot run (psycopg missing)."""


def _pq() -> Any:
    try:
        import psycopg
        from psycopg import pq
    except ImportError:
        raise LiveVerifyError(
            "live verification needs psycopg: pip install 'pgsweep[live]'"
        ) from None
    return psycopg, pq


# --------------------------------------------------------------------------- SSRF guard
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a network's own translator
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 SIIT


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to: IPv4-mapped, IPv4-compatible (`::a.b.c.d`),
    IPv4-translated, NAT64 (64:ff9b::/96), 6to4 (2002::/16) and both ends of Teredo."""
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if int(ip) >> 32 == 0 or ip in _NAT64 or ip in _IPV4_TRANSLATED:
        out.append(low)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


def _is_internal_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not ip.is_global or ip.is_multicast


def is_internal_address(address: str) -> bool:
    """Loopback, private, link-local, unique-local, shared, reserved or multicast, directly or
    through any IPv6 form that embeds an IPv4 address (see `embedded_ipv4`)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_internal_ip(ip)
    if ip in _NAT64_LOCAL:
        return True
    embedded = embedded_ipv4(ip)
    if any(_is_internal_ip(v4) for v4 in embedded):
        return True
    if ip.ipv4_mapped is not None or ip in _NAT64 or ip in _IPV4_TRANSLATED:
        return False  # a translation of a public IPv4 address
    return _is_internal_ip(ip)


def refusal(host: str, addresses: Sequence[str]) -> str | None:
    """Why `host` may not be contacted: it resolves to at least one internal address (any
    one is enough: the resolver's order can change between the check and a reconnect)."""
    internal = [a for a in addresses if is_internal_address(a)]
    if internal:
        return f"{host} resolves to internal address {internal[0]} (use --allow-internal)"
    return None


def is_socket_host(host: str) -> bool:
    """libpq treats an empty host or one starting with `/` or `@` as a unix socket."""
    return not host or host.startswith(("/", "@"))


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (TCP), in resolver order; raises OSError."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    out: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in out:
            out.append(addr)
    return out


@dataclass(frozen=True)
class Endpoint:
    """Where one attempt goes: the credential's host, the checked address, the port."""

    host: str
    address: str | None  # None for a unix socket
    port: int


class Refused(Exception):
    """An endpoint may not be contacted; the message names the host, never a secret."""


def plan_endpoints(target: Target, allow_internal: bool) -> tuple[list[Endpoint], list[str]]:
    """(endpoints to try in order, hosts that could not be resolved); raises Refused.

    Every host of a multi-host list is checked before any is contacted.
    """
    hosts = target.hosts or ("",)
    ports = target.ports or ("",)
    endpoints: list[Endpoint] = []
    unresolved: list[str] = []
    for i, host in enumerate(hosts):
        text = ports[i] if i < len(ports) else (ports[0] if len(ports) == 1 else "")
        try:
            port = int(text) if text else DEFAULT_PORT
        except ValueError:
            raise Refused(f"invalid port for host {host!r}") from None
        if not 0 < port < 65536:
            raise Refused(f"invalid port for host {host!r}")
        if is_socket_host(host):
            if not allow_internal:
                raise Refused(f"unix socket {host or '(default)'}: internal (use --allow-internal)")
            endpoints.append(Endpoint(host, None, port))
            continue
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            unresolved.append(host)
            continue
        reason = None if allow_internal else refusal(host, addresses)
        if reason is not None:
            raise Refused(reason)
        if addresses:
            endpoints.append(Endpoint(host, addresses[0], port))
    return endpoints, unresolved


# --------------------------------------------------------------------------- attempts
class RateLimiter:
    """At most one connection start per `interval` seconds, across threads."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass(frozen=True)
class Outcome:
    """What one connection attempt established."""

    status: Status
    sqlstate: str | None = None
    tls: bool | None = None
    reason: str | None = None

    @property
    def reached_server(self) -> bool:
        return self.sqlstate is not None or self.status is Status.VALID


@functools.lru_cache(maxsize=1)
def _libpq_for_verbosity() -> Any:
    """The libpq psycopg itself uses, to ask for SQLSTATE-only error messages; or None.

    libpq keeps a failed connection's SQLSTATE only inside its error text, and only when
    the verbosity is PQERRORS_SQLSTATE; psycopg does not wrap PQsetErrorVerbosity.
    """
    try:
        _, pq = _pq()
        if pq.version() < 120000:
            return None
        if pq.__impl__ == "python":
            from psycopg.pq import _pq_ctypes

            lib = getattr(_pq_ctypes, "pq", None)
        else:
            with open("/proc/self/maps", encoding="utf-8") as fh:
                paths = {ln.split()[-1] for ln in fh if "/libpq" in ln and ".so" in ln}
            own = sorted(p for p in paths if ("psycopg_binary" in p) == (pq.__impl__ == "binary"))
            lib = ctypes.CDLL(own[0]) if len(own) == 1 else None
        if lib is None:
            return None
        fn = lib.PQsetErrorVerbosity
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn
    except (OSError, AttributeError, ImportError):
        return None


def _scrub(text: str, secret: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    if secret and secret in line:
        line = line.replace(secret, "[secret]")
    line = re.sub(r'^connection to server (?:at|on) .*? failed: ', "", line)
    return line[:200]


def classify(message: str, secret: str) -> tuple[Status, str | None, str | None]:
    """(status, sqlstate, reason) from libpq's error text for a failed connection."""
    m = _SQLSTATE_RE.search(message)
    sqlstate = m.group(1) if m else None
    if sqlstate is None:
        for pattern, state in _TEXT_STATES:
            if pattern.search(message):
                sqlstate = state
                break
    if sqlstate in SQLSTATE_VALID:
        return Status.VALID, sqlstate, "authenticated; the database does not exist"
    if sqlstate in SQLSTATE_INVALID:
        return Status.INVALID, sqlstate, "password authentication failed"
    return Status.UNKNOWN, sqlstate, _scrub(message, secret) or None


def conninfo_for(target: Target, ep: Endpoint, timeout: int) -> str:
    """libpq keywords for one attempt; nothing from the leak but user, password, database,
    sslmode and the host it names (no hostaddr, sslrootcert, passfile... from the leak)."""
    psycopg, pq = _pq()
    params: dict[str, Any] = {
        "host": ep.host,
        "port": ep.port,
        "user": target.user,
        "password": target.secret,
        "dbname": target.database or target.user,
        "sslmode": target.sslmode or "prefer",
        "connect_timeout": timeout,
        "application_name": APPLICATION_NAME,
        "gssencmode": "disable",
    }
    if ep.address is not None:
        params["hostaddr"] = ep.address
    if pq.version() >= 160000:
        params["require_auth"] = "!password"  # never hand a cleartext password to a server
        if params["sslmode"] == "verify-full":
            params["sslrootcert"] = "system"
    return str(psycopg.conninfo.make_conninfo("", **params))


def attempt(target: Target, ep: Endpoint, timeout: int = CONNECT_TIMEOUT) -> Outcome:
    """One connection attempt to one endpoint: authenticate, then close. No query."""
    _, pq = _pq()
    pgconn = pq.PGconn.connect_start(conninfo_for(target, ep, timeout).encode())
    try:
        set_verbosity = _libpq_for_verbosity()
        if set_verbosity is not None:
            set_verbosity(pgconn.pgconn_ptr, _PQERRORS_SQLSTATE)
        deadline = time.monotonic() + timeout
        tls: bool | None = None
        while True:
            if pgconn.status == pq.ConnStatus.BAD:
                status, state, reason = classify(pgconn.get_error_message(), target.secret)
                return Outcome(status, state, tls, reason)
            poll = pgconn.connect_poll()
            if poll == pq.PollingStatus.OK:
                return Outcome(Status.VALID, None, bool(pgconn.ssl_in_use), "authenticated")
            if poll == pq.PollingStatus.FAILED:
                status, state, reason = classify(pgconn.get_error_message(), target.secret)
                return Outcome(status, state, tls, reason)
            tls = bool(pgconn.ssl_in_use)  # of the attempt in progress (prefer may retry)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Outcome(Status.UNKNOWN, None, tls, "timeout")
            event = selectors.EVENT_READ if poll == pq.PollingStatus.READING else (
                selectors.EVENT_WRITE)
            with selectors.DefaultSelector() as sel:
                sel.register(pgconn.socket, event)
                if not sel.select(remaining):
                    return Outcome(Status.UNKNOWN, None, tls, "timeout")
    except Exception as exc:  # noqa: BLE001 -- psycopg raises on a lost socket; its text may echo input
        return Outcome(Status.UNKNOWN, None, None, f"connection error ({type(exc).__name__})")
    finally:
        pgconn.finish()


# --------------------------------------------------------------------------- verifier
class LiveVerifier:
    """Logs in with each target's credential at its own hosts; bounded and rate-limited."""

    method = METHOD

    def __init__(
        self,
        allow_internal: bool = False,
        max_workers: int = MAX_WORKERS,
        min_interval: float = MIN_INTERVAL,
        timeout: int = CONNECT_TIMEOUT,
    ) -> None:
        _pq()  # fail early, once, when psycopg is missing
        self.allow_internal = allow_internal
        self.max_workers = max(1, max_workers)
        self.timeout = timeout
        self.rate = RateLimiter(min_interval)

    def verify(self, targets: Sequence[Target]) -> list[VerificationResult]:
        if not targets:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(targets))) as pool:
            return list(pool.map(self.verify_one, targets))

    def verify_one(self, target: Target) -> VerificationResult:
        if not target.user:
            return result(target, METHOD, Status.SKIPPED, reason="no user in the leak")
        if target.kind is not SecretKind.PASSWORD:
            return result(target, METHOD, Status.SKIPPED, reason=f"a {target.kind}, not a password")
        if not target.secret:
            return result(target, METHOD, Status.SKIPPED,
                          reason="secret not stored; verify with --scan PATH")
        try:
            endpoints, unresolved = plan_endpoints(target, self.allow_internal)
        except Refused as exc:
            return result(target, METHOD, Status.REFUSED, reason=str(exc))
        if not endpoints:
            return result(target, METHOD, Status.UNKNOWN,
                          reason=f"cannot resolve {', '.join(unresolved)}")
        outcome = Outcome(Status.UNKNOWN)
        answered: str | None = None
        for ep in endpoints:  # like libpq: the next host only when this one is unreachable
            self.rate.wait()
            outcome = attempt(target, ep, self.timeout)
            answered = ep.host
            if outcome.reached_server:
                break
        detail: dict[str, DetailValue] = {
            "host": answered or None,
            "tls": outcome.tls,
            "sqlstate": outcome.sqlstate,
            "reason": outcome.reason,
            "sslmode": target.sslmode or "prefer",
        }
        return result(target, METHOD, outcome.status, **detail)
