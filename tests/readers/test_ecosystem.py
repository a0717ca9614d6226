"""The PostgreSQL ecosystem's own files (poolers, HA managers, ODBC, systemd, cron) at their
system places: found by `scan` and `sweep`, each with the rotation step that fits it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from conftest import make_password
from filescan import scan_items, shared_scanner

from pgsweep.assess.plan import Section
from pgsweep.assess.rotation import build_plan
from pgsweep.core.models import Finding, provenance_path
from pgsweep.core.options import ScanOptions
from pgsweep.findings import credentials
from pgsweep.findings.fingerprint import redact
from pgsweep.sources.files import FileSource
from pgsweep.sources.sweep import SweepSource

MD5 = "md5a7d1e8c0e1f5b4c3d2e1f0a9b8c7d6e5"
PCP_MD5 = "e8a48653851e28c69d0506508fb27fc5"


def plant(root: Path, pw: list[str]) -> list[tuple[str, int, str, str | None, str, str, str]]:
    """Files at their system paths; the expected (path, line, rule, user, kind, secret,
    rotation step title) of each finding."""
    files = {
        "etc/pgbouncer/userlist.txt": f'"app" "{pw[0]}"\n"admin" "{MD5}"\n',
        "etc/pgbouncer/pgbouncer.ini": ("[databases]\nappdb = host=db.corp.example port=5432 "
                                        f"dbname=app user=bouncer password={pw[1]}\n"
                                        "[pgbouncer]\nauth_file = /etc/pgbouncer/userlist.txt\n"),
        "etc/pgpool2/pool_passwd": f"pool:TEXT{pw[2]}\nenc:AESjglid1QRgiCl/vfhHUDyVA==\n",
        "etc/pgpool2/pcp.conf": f"# USERID:MD5PASSWD\npcpadmin:{PCP_MD5}\n",
        "etc/patroni/patroni.yml": ("scope: ha\npostgresql:\n  authentication:\n"
                                    "    replication:\n      username: replicator\n"
                                    f"      password: {pw[3]}\n"),
        "etc/repmgr.conf": ("node_id=1\nconninfo='host=node1.corp.example user=repmgr "
                            f"dbname=repmgr password={pw[4]}'\n"),
        "var/lib/postgresql/15/main/postgresql.auto.conf": (
            f"primary_conninfo = 'user=standby password={pw[5]} host=primary.corp.example'\n"),
        "etc/odbc.ini": ("[pg]\nDriver = PostgreSQL Unicode\nServername = db.corp.example\n"
                         f"Username = odbc\nPassword = {pw[6]}\n"),
        "etc/systemd/system/report.service": (
            f"[Service]\nEnvironment=PGPASSWORD={pw[7]} PGUSER=report PGHOST=db.corp.example\n"
            "ExecStart=/usr/local/bin/report\n"),
        "etc/environment": f'PATH="/usr/bin"\nPGPASSWORD="{pw[8]}"\n',
        "etc/cron.d/backup": ("15 3 * * * postgres PGPASSWORD=" + pw[9]
                              + " pg_dump -h db.corp.example -U backup app > /tmp/app.sql\n"),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    bouncer = "Change the PgBouncer userlist entry together with the role"
    return sorted([
        ("etc/pgbouncer/userlist.txt", 1, "pg.pooler.1", "app", "password", pw[0], bouncer),
        ("etc/pgbouncer/userlist.txt", 2, "pg.pooler.1", "admin", "password-hash", MD5, bouncer),
        ("etc/pgbouncer/pgbouncer.ini", 2, "pg.dsn.1", "bouncer", "password", pw[1], ""),
        ("etc/pgpool2/pool_passwd", 1, "pg.pooler.2", "pool", "password", pw[2],
         "Change the Pgpool-II pool_passwd entry together with the role"),
        ("etc/pgpool2/pcp.conf", 2, "pg.pooler.3", "pcpadmin", "password-hash", PCP_MD5,
         "Change the Pgpool-II PCP password"),
        ("etc/patroni/patroni.yml", 6, "pg.patroni.1", "replicator", "password", pw[3],
         "Change the Patroni password in the cluster and in every node's configuration"),
        # the bitnami form reads any `postgresql:` section's password too
        ("etc/patroni/patroni.yml", 6, "pg.helm.2", "replicator", "password", pw[3],
         "Change the Patroni password in the cluster and in every node's configuration"),
        ("etc/repmgr.conf", 2, "pg.dsn.1", "repmgr", "password", pw[4],
         "Update repmgr's conninfo on every node"),
        ("var/lib/postgresql/15/main/postgresql.auto.conf", 1, "pg.dsn.1", "standby",
         "password", pw[5], "Update primary_conninfo on every standby"),
        ("etc/odbc.ini", 5, "pg.odbc.1", "odbc", "password", pw[6],
         "Update the ODBC data source"),
        ("etc/systemd/system/report.service", 2, "pg.env.1", "report", "password", pw[7],
         "Move the password out of the systemd unit"),
        ("etc/environment", 2, "pg.env.1", None, "password", pw[8],
         "Remove the password from /etc/environment"),
        ("etc/cron.d/backup", 1, "pg.env.1", "backup", "password", pw[9],
         "Take the password off the crontab line"),
    ])


def rows(root: Path, found: list[Finding]) -> list[tuple[object, ...]]:
    plan = build_plan(found, credentials.group(found), {}, {}, datetime.now(UTC))
    steps = {}
    for cp in plan.credentials:
        titles = [s.title for s in cp.section(Section.ROTATE) if s.order >= 5]
        for fid in cp.credential.findings:
            steps[fid] = titles[0] if titles else ""
    out = []
    for f in found:
        path = str(provenance_path(f.provenance))
        out.append((str(Path(path).relative_to(root)), f.line, f.rule, f.user, str(f.kind),
                    f.secret, steps[f.id]))
    return sorted(out)


def test_scan_finds_each_file_with_its_rotation_step(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(10)]
    want = plant(tmp_path, pw)
    found, stats = scan_items(shared_scanner(), FileSource(tmp_path).iter_items())
    assert rows(tmp_path, found) == want
    assert stats.skipped == {}
    assert all(redact(p) != p for p in pw)


def test_sweep_reads_the_system_places(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(10)]
    want = plant(tmp_path, pw)
    source = SweepSource(tmp_path, ScanOptions(path=str(tmp_path)))
    found, _ = scan_items(shared_scanner(), source.iter_items())
    assert rows(tmp_path, found) == want
