"""Host classes, cloud providers and privileged role names."""

from __future__ import annotations

import pytest

from pgsweep.assess.hosts import HostClass, classify_host, classify_hosts, is_privileged_role

CASES = [
    # local
    ("localhost", HostClass.LOCAL, None),
    ("127.0.0.1", HostClass.LOCAL, None),
    ("::1", HostClass.LOCAL, None),
    ("[::1]", HostClass.LOCAL, None),
    ("/var/run/postgresql", HostClass.LOCAL, None),
    ("db", HostClass.LOCAL, None),
    ("postgres", HostClass.LOCAL, None),
    ("host.docker.internal", HostClass.LOCAL, None),
    ("api.localhost", HostClass.LOCAL, None),
    # internal
    ("10.1.2.3", HostClass.INTERNAL, None),
    ("192.168.0.10", HostClass.INTERNAL, None),
    ("172.20.0.4", HostClass.INTERNAL, None),
    ("100.64.3.1", HostClass.INTERNAL, None),
    ("169.254.10.1", HostClass.INTERNAL, None),
    ("fe80::1%eth0", HostClass.INTERNAL, None),
    ("fd00::5", HostClass.INTERNAL, None),
    ("pg.corp", HostClass.INTERNAL, None),
    ("db.prod.internal", HostClass.INTERNAL, None),
    ("pg-primary.local", HostClass.INTERNAL, None),
    ("pg.default.svc.cluster.local", HostClass.INTERNAL, None),
    ("pgprimary", HostClass.INTERNAL, None),
    # cloud
    ("prod.c9akciq32.eu-west-1.rds.amazonaws.com", HostClass.CLOUD, "AWS RDS"),
    ("prod.abc123def456.cn-north-1.rds.amazonaws.com.cn", HostClass.CLOUD, "AWS RDS"),
    ("shop.cluster-c9akciq32.us-east-1.rds.amazonaws.com", HostClass.CLOUD, "AWS Aurora"),
    ("shop.cluster-ro-c9akciq32.us-east-1.rds.amazonaws.com", HostClass.CLOUD, "AWS Aurora"),
    ("shop.proxy-c9akciq32.us-east-1.rds.amazonaws.com", HostClass.CLOUD, "AWS RDS Proxy"),
    ("ec2-54-1-2-3.compute-1.amazonaws.com", HostClass.CLOUD, "Heroku Postgres"),
    ("shop.postgres.database.azure.com", HostClass.CLOUD, "Azure Database for PostgreSQL"),
    ("c-shop.abc.postgres.cosmos.azure.com", HostClass.CLOUD, "Azure Cosmos DB for PostgreSQL"),
    ("/cloudsql/acme-prod:us-central1:shop", HostClass.CLOUD, "Google Cloud SQL"),
    ("acme-prod:us-central1:shop", HostClass.CLOUD, "Google Cloud SQL"),
    ("db.abcdefghijklmnopqrst.supabase.co", HostClass.CLOUD, "Supabase"),
    ("aws-0-eu-central-1.pooler.supabase.com", HostClass.CLOUD, "Supabase"),
    ("ep-cool-dawn-123456-pooler.us-east-2.aws.neon.tech", HostClass.CLOUD, "Neon"),
    ("shop-do-user-1.b.db.ondigitalocean.com", HostClass.CLOUD, "DigitalOcean Managed Databases"),
    ("pg-shop-acme.aivencloud.com", HostClass.CLOUD, "Aiven"),
    ("dpg-abc123-a.oregon-postgres.render.com", HostClass.CLOUD, "Render"),
    ("roundhouse.proxy.rlwy.net", HostClass.CLOUD, "Railway"),
    ("p.abc.db.postgresbridge.com", HostClass.CLOUD, "Crunchy Bridge"),
    # public
    ("db.acme.io", HostClass.PUBLIC, None),
    ("8.8.8.8", HostClass.PUBLIC, None),
    ("2001:4860:4860::8888", HostClass.PUBLIC, None),
    # example
    ("db.example.com", HostClass.EXAMPLE, None),
    ("pg.test", HostClass.EXAMPLE, None),
    ("192.0.2.10", HostClass.EXAMPLE, None),  # documentation addresses, though "private"
    ("2001:db8::1", HostClass.EXAMPLE, None),
    ("asldkfjasdf!!#1308140.com", HostClass.EXAMPLE, None),  # no host name at all
    ("invalid", HostClass.EXAMPLE, None),
]


@pytest.mark.parametrize(("host", "cls", "provider"), CASES, ids=[c[0] for c in CASES])
def test_classify_host(host: str, cls: HostClass, provider: str | None) -> None:
    info = classify_host(host)
    assert (info.cls, info.provider) == (cls, provider)
    assert info.reason


def test_classify_hosts_takes_the_most_exposed() -> None:
    info = classify_hosts(("10.0.0.1", "prod.c9akciq32.eu-west-1.rds.amazonaws.com", "localhost"))
    assert info.cls is HostClass.CLOUD
    assert classify_hosts(()).cls is HostClass.UNKNOWN


@pytest.mark.parametrize(
    "user",
    ["postgres", "POSTGRES", "rdsadmin", "azure_superuser", "admin", "root", "superuser",
     "cloudsqladmin", "supabase_admin", "doadmin", "avnadmin", "postgres.abcdefghijklmnopqrst",
     "postgres@shop"],
)
def test_privileged_roles(user: str) -> None:
    assert is_privileged_role(user)


@pytest.mark.parametrize("user", ["app", "shop_ro", "reporting", "admin_ui_user", None, ""])
def test_unprivileged_roles(user: str | None) -> None:
    assert not is_privileged_role(user)
