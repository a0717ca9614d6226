"""Classify database hosts (local, internal, cloud, public) and privileged role names."""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pgsweep.detectors.host_names import is_documentation_host, is_local_host


class HostClass(enum.StrEnum):
    """How far a host is reachable from, in increasing order of exposure."""

    EXAMPLE = "example"  # a reserved documentation name: never a real server
    LOCAL = "local"  # loopback, unix socket, docker service name
    UNKNOWN = "unknown"  # no host recorded (libpq's default socket, or set elsewhere)
    INTERNAL = "internal"  # private or link-local address, internal or single-label name
    PUBLIC = "public"  # any other name or public address
    CLOUD = "cloud"  # a managed PostgreSQL endpoint of a cloud provider

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {c: i for i, c in enumerate(HostClass)}


@dataclass(frozen=True)
class HostInfo:
    """One host's class, the cloud provider when known, and why."""

    host: str
    cls: HostClass
    provider: str | None
    reason: str


# (provider, regex on the lower-cased host). Order matters: the first match wins.
# Sources: the providers' documentation.
_CLOUD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("AWS RDS Proxy", r"\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(\.cn)?$"),
        ("AWS Aurora",
         r"\.cluster-(ro-|custom-)?[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(\.cn)?$"),
        ("AWS RDS", r"\.rds\.amazonaws\.com(\.cn)?$"),
        ("Heroku Postgres", r"^ec2-[0-9-]+\.(compute-1|[a-z0-9-]+\.compute)\.amazonaws\.com$"),
        ("Azure Database for PostgreSQL", r"\.postgres\.database\.azure\.com$"),
        ("Azure Cosmos DB for PostgreSQL", r"\.postgres\.cosmos\.azure\.com$"),
        ("Supabase", r"\.supabase\.(co|com)$"),
        ("Neon", r"\.neon\.tech$"),
        ("DigitalOcean Managed Databases", r"\.db\.ondigitalocean\.com$"),
        ("Aiven", r"\.aivencloud\.com$"),
        ("Render", r"\.render\.com$"),
        ("Railway", r"\.rlwy\.net$|\.railway\.app$"),
        ("Crunchy Bridge", r"\.postgresbridge\.com$"),
        ("Timescale Cloud", r"\.tsdb\.cloud\.timescale\.com$|\.timescaledb\.io$"),
        ("CockroachDB Cloud", r"\.cockroachlabs\.cloud$"),
        ("ElephantSQL", r"\.elephantsql\.com$"),
        ("Tembo", r"\.tembo\.io$"),
        ("Xata", r"\.xata\.sh$"),
        ("Alibaba Cloud ApsaraDB RDS", r"\.rds\.aliyuncs\.com$"),
        ("Yandex Managed PostgreSQL", r"\.mdb\.yandexcloud\.net$"),
        ("Scaleway Managed Database", r"\.scw\.cloud$"),
        ("OVHcloud Managed Databases", r"\.database\.cloud\.ovh\.net$"),
        ("IBM Cloud Databases", r"\.databases\.appdomain\.cloud$"),
        ("Google Cloud SQL",  # a /cloudsql/ socket, or an instance connection name
         r"^/cloudsql/[a-z0-9.:-]+$"
         r"|^[a-z][a-z0-9.-]*(:[a-z0-9-]+)?:[a-z]+-[a-z]+[0-9]+:[a-z0-9-]+$"),
    )
)

# Internal DNS suffixes: split-horizon names that do not resolve on the internet.
_INTERNAL_SUFFIXES = (
    ".internal", ".corp", ".local", ".lan", ".intranet", ".intra", ".home.arpa", ".localdomain",
    ".private", ".priv", ".int", ".consul", ".svc", ".cluster.local", ".home", ".office",
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")

# Role names that are superusers, the provider's admin role or the database owner.
PRIVILEGED_ROLES = frozenset(
    {
        "postgres", "rdsadmin", "rds_superuser", "azure_superuser", "azure_pg_admin",
        "azuresu", "admin", "administrator", "root", "superuser", "su", "sa", "sysadmin",
        "cloudsqladmin", "cloudsqlsuperuser", "supabase_admin", "supabase_auth_admin",
        "supabase_storage_admin", "doadmin", "avnadmin", "tsdbadmin", "neon_superuser",
        "neondb_owner", "master", "masteruser", "dbadmin", "db_admin", "pgadmin", "pg_admin",
        "dba", "owner", "dbowner", "db_owner", "enterprisedb", "crunchy_superuser",
        "application_owner", "system",
    }
)


def cloud_provider(host: str) -> str | None:
    """The managed PostgreSQL provider a host name belongs to, if it matches one."""
    h = host.strip().lower().rstrip(".")
    for name, rx in _CLOUD_PATTERNS:
        if rx.search(h):
            return name
    return None


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def classify_host(host: str) -> HostInfo:
    """One host's class; cloud endpoints are recognised before the socket rule (Cloud SQL)."""
    h = host.strip().lower().rstrip(".")
    provider = cloud_provider(h)
    if provider is not None:
        return HostInfo(host, HostClass.CLOUD, provider, f"{provider} managed endpoint")
    if is_local_host(h):
        if not h or h.startswith(("/", "@")):
            why = "unix-domain socket"
        elif _ip(h) is not None:
            why = "loopback address"
        else:
            why = "loopback or docker service name"
        return HostInfo(host, HostClass.LOCAL, None, why)
    ip = _ip(h)
    if ip is not None:
        if is_documentation_host(h):  # 192.0.2.0/24 and 2001:db8::/32 count as private too
            return HostInfo(host, HostClass.EXAMPLE, None, "documentation address")
        if ip.is_link_local:
            return HostInfo(host, HostClass.INTERNAL, None, "link-local address")
        if ip.is_private or (ip.version == 4 and ip in _CGNAT):
            return HostInfo(host, HostClass.INTERNAL, None, "private address")
        return HostInfo(host, HostClass.PUBLIC, None, "public address")
    if h.endswith(".localhost"):
        return HostInfo(host, HostClass.LOCAL, None, "*.localhost resolves to loopback")
    if h.endswith(_INTERNAL_SUFFIXES):
        return HostInfo(host, HostClass.INTERNAL, None, "internal DNS name")
    if is_documentation_host(h):
        return HostInfo(host, HostClass.EXAMPLE, None, "reserved example name")
    if "." not in h:
        return HostInfo(host, HostClass.INTERNAL, None, "single-label name (internal DNS)")
    return HostInfo(host, HostClass.PUBLIC, None, "public DNS name")


def classify_hosts(hosts: Iterable[str]) -> HostInfo:
    """The most exposed of several hosts (a multi-host URI or a credential's host set)."""
    infos = [classify_host(h) for h in hosts]
    if not infos:
        return HostInfo("", HostClass.UNKNOWN, None, "no host recorded")
    return max(infos, key=lambda i: i.cls.rank)


def base_role(user: str) -> str:
    """The role name without provider decorations (`user@server` on Azure Single Server,
    `postgres.<ref>` on the Supabase pooler)."""
    u = user.strip().lower()
    if "@" in u:
        u = u.split("@", 1)[0]
    if u.startswith("postgres."):
        u = "postgres"
    return u


def is_privileged_role(user: str | None) -> bool:
    """A superuser, provider admin or owner role name."""
    return bool(user) and base_role(user or "") in PRIVILEGED_ROLES
