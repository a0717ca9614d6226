"""Which servers a host names: local ones, documentation and example names, names only a
local network resolves, placeholders to fill in, and hosts left to code."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence

from pgsweep.detectors.templates import is_template

_LOCAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "db",
        "postgres",
        "postgresql",
        "pg",
        "database",
        "host.docker.internal",
        "docker",
        "pgbouncer",
    }
)
# Host names that only ever appear in documentation and samples.
_DOC_HOSTS = frozenset(
    """
    host hostname somehost myhost yourhost your-host your_host dbhost db-host db_host pghost
    server servername your-server myserver someserver example remotehost remote-host
    your-db-host your.host.com host.com hostname.com
    """.split()
)
_DOC_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
# The reserved top-level names themselves, written as a host (`localhost,invalid`).
_RESERVED_LABELS = frozenset({"example", "invalid", "test", "local"})
_DOC_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
# Characters no host name, address or socket path holds (templates are told apart first).
_NOT_A_HOST_RE = re.compile(r"""[\s!"#&'()*+;<=>?\\^`|]""")
_DOC_DOMAINS = ("example.com", "example.net", "example.org")


def is_unknown_host(host: str) -> bool:
    """A host the text leaves to code (`#{host}`, `${DB_HOST}`, `%s`, `{host}`): which
    server it names is not written here."""
    return is_template(host)


# One DNS label: letters, digits, `-` and `_` (docker names), no dot.
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
# Labels the resolver reads as an IPv4 address (`2130706433`, `0x7f000001`).
_NUMERIC_LABEL_RE = re.compile(r"\d+|0x[0-9a-f]+")


@functools.lru_cache(maxsize=8192)
def is_single_label_host(host: str) -> bool:
    """A host name of one label (`db`, `yo`, `pg14`, `postgres-primary`): no dot and not an
    address. Only a local network resolves it: a docker-compose service, an /etc/hosts
    entry, a CI service container."""
    h = host.strip().lower()
    return _LABEL_RE.fullmatch(h) is not None and _NUMERIC_LABEL_RE.fullmatch(h) is None


def is_local_network_only(hosts: Sequence[str]) -> bool:
    """Every host is local, a documentation name, a single-label name of a local network,
    or a link-local address; a `h1,h2` value is a host list."""
    names = [n for h in hosts for n in (h.split(",") if "," in h else [h])]
    return bool(names) and all(
        is_local_host(h) or is_documentation_host(h) or is_single_label_host(h)
        or is_link_local(h) for h in names
    )


@functools.lru_cache(maxsize=1024)
def is_link_local(host: str) -> bool:
    """`fe80::1%eth0`, `169.254.10.2`: an address only the local link reaches."""
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0]).is_link_local
    except ValueError:
        return False


_PLACEHOLDER_HOST_RE = re.compile(
    r"^(?:<[^<>]*>|\[[A-Za-z_ -]*[G-Zg-z_ -][A-Za-z_ -]*\]"
    r"|(?:your|my|some)[-_.]?(?:db[-_.]?)?(?:host|server|hostname|instance|endpoint|project)\b.*"
    r"|(?:ACTUAL|YOUR|INSERT|ENTER)[-_][A-Z0-9_-]*"
    # the same in capitals in other languages (`TU.IP.DEL.VPS`, `SEU_HOST`, `VOTRE-SERVEUR`)
    r"|(?:TU|TUO|SU|SEU|SUA|VOTRE|TON|DEIN|IHR)[-_.][A-Z0-9_.-]*)$"
)


def is_placeholder_host(host: str) -> bool:
    """`<host>`, `[ACTUAL-HOSTNAME-FROM-SUPABASE]`, `your-host`, `YOUR-PROJECT-REF`: a host
    name to fill in, not a server. (`{host}`, `${DB_HOST}` are code that names the real
    server: the host is unknown, not a placeholder.)"""
    h = host.strip()
    return bool(h) and _PLACEHOLDER_HOST_RE.match(h) is not None


@functools.lru_cache(maxsize=8192)
def is_local_host(host: str) -> bool:
    """Loopback, unix socket, or a typical local docker service name."""
    h = host.strip().lower().strip("[]")
    if not h or h.startswith("/") or h.startswith("@"):
        return True  # default socket, socket dir, abstract socket
    if h in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(h.split("%", 1)[0]).is_loopback or h == "0.0.0.0"
    except ValueError:
        return False


@functools.lru_cache(maxsize=8192)
def is_documentation_host(host: str) -> bool:
    """RFC 2606 / 6761 names reserved for examples, RFC 5737 / 3849 documentation
    addresses, one-letter stand-ins (`h`, `h1`), and text that cannot name a host at all
    (`asldkfj!!#1.com`, `127.0.0.1&amp`): never a real server."""
    h = host.strip().lower().rstrip(".")
    if h.count(":") == 1:
        h = h.split(":", 1)[0]  # `H:P` given as one host= value
    if is_unknown_host(h):
        return False  # code names the server: unknown, not an example
    if h in _RESERVED_LABELS or _NOT_A_HOST_RE.search(h):
        return True
    try:
        address = ipaddress.ip_address(h.strip("[]").split("%", 1)[0])
    except ValueError:
        address = None
    if address is not None:
        return any(address in net for net in _DOC_NETWORKS)
    # `h`, `h1`, `host2`, `pghost10`, `db-host-3`: numbered stand-ins
    if re.fullmatch(r"[a-z]\d?", h) or re.sub(r"[-_]?\d+$", "", h) in _DOC_HOSTS:
        return True
    return (
        h in _DOC_DOMAINS
        or h.endswith(tuple("." + d for d in _DOC_DOMAINS))
        or h.endswith(_DOC_SUFFIXES)
    )


def is_local_only(hosts: Sequence[str]) -> bool:
    """Every host is local or a documentation name (no host at all is not local); a
    `h1,h2` value is a host list, as libpq reads one."""
    names = [n for h in hosts for n in (h.split(",") if "," in h else [h])]
    return bool(names) and all(is_local_host(h) or is_documentation_host(h) for h in names)
