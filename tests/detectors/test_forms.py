"""Every form family in real files on disk, with passwords generated at run time: exact findings."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import make_password

from pgsweep.core.models import Chunk, FileProvenance, ScanStats, Severity
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.files import FileSource


@pytest.fixture(autouse=True)
def _fast_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSWEEP_FINGERPRINT_KEY", "test")


def scan(
    root: Path, all_signatures: list[Signature]
) -> list[tuple[str, str, int, str | None, str | None, str]]:
    """The detectors over each file's raw text (format readers in readers/ are not involved:
    they turn some files, e.g. .pgpass and .env, into normalised chunks of their own)."""
    scanner = Scanner(all_signatures)
    stats = ScanStats()
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        chunk = Chunk(path.read_bytes(), FileProvenance(path=rel))
        for f in scanner.scan_chunk(chunk, stats):
            out.append((f.rule, rel, f.line, f.user, f.host, f.secret))
    return sorted(out)


def test_a_project_tree(tmp_path: Path, all_signatures: list[Signature]) -> None:
    pw = {k: make_password() for k in "abcdefghijklmn"}
    files = {
        # (.env and docker-compose files go through the env-group readers in readers/)
        "deploy/run-db.sh": "docker run -d -e POSTGRES_USER=shop "
        f"-e POSTGRES_PASSWORD={pw['a']} postgres:16\n"
        f"export DATABASE_URL=postgresql://shop:{pw['b']}@db.corp.net:5432/shop\n",
        "home/.pgpass": f"db.corp.net:5432:shop:shop:{pw['c']}\n# old:5432:*:x:y\n",
        "shop/settings.py": f"""DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "{pw["d"]}",
        "HOST": "pg.corp.net",
    }}
}}
""",
        "deploy/secret.yaml": f"""apiVersion: v1
kind: Secret
metadata:
  name: shop-postgres
data:
  username: {base64.b64encode(b"shop").decode()}
  password: {base64.b64encode(pw["e"].encode()).decode()}
""",
        "scripts/backup.sh": f"""#!/bin/sh
export PGPASSWORD='{pw["f"]}'
pg_dump -h pg.corp.net -U backup shop > shop.sql
psql "host=pg.corp.net user=ro password={pw["g"]} dbname=shop" -c 'select 1'
""",
        "migrations/0001.sql": f"CREATE ROLE reporter LOGIN PASSWORD '{pw['h']}';\n",
        "src/main/resources/application.properties": f"""spring.datasource.url=jdbc:postgresql://pg.corp.net:5432/shop
spring.datasource.username=api
spring.datasource.password={pw["i"]}
""",
        "appsettings.json": '{"ConnectionStrings": {"Shop": '
        f'"Host=pg.corp.net;Username=dotnet;Password={pw["j"]};Database=shop"}}}}\n',
        "notes.md": "Use `postgresql://user:password@localhost/db` locally, or ${DATABASE_URL}.\n",
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert scan(tmp_path, all_signatures) == sorted(
        [
            ("pg.env.2", "deploy/run-db.sh", 1, "shop", None, pw["a"]),
            ("pg.uri.1", "notes.md", 1, "user", "localhost", "password"),  # at info
            ("pg.uri.1", "deploy/run-db.sh", 2, "shop", "db.corp.net", pw["b"]),
            ("pg.pgpass.1", "home/.pgpass", 1, "shop", "db.corp.net", pw["c"]),
            ("pg.django.1", "shop/settings.py", 6, "shop", "pg.corp.net", pw["d"]),
            ("pg.k8s.1", "deploy/secret.yaml", 7, "shop", None, pw["e"]),
            ("pg.env.1", "scripts/backup.sh", 2, "backup", "pg.corp.net", pw["f"]),
            ("pg.dsn.1", "scripts/backup.sh", 4, "ro", "pg.corp.net", pw["g"]),
            ("pg.sql.1", "migrations/0001.sql", 1, "reporter", None, pw["h"]),
            (
                "pg.jdbc.2",
                "src/main/resources/application.properties",
                3,
                "api",
                "pg.corp.net",
                pw["i"],
            ),
            ("pg.adonet.1", "appsettings.json", 1, "dotnet", "pg.corp.net", pw["j"]),
        ]
    )


def test_local_defaults_are_low_and_secrets_never_in_repr(
    tmp_path: Path, all_signatures: list[Signature]
) -> None:
    pw = make_password()
    (tmp_path / ".env").write_text(f"DATABASE_URL=postgres://postgres:{pw}@localhost:5432/dev\n")
    result = Scanner(all_signatures).run(FileSource(tmp_path))
    (f,) = result.findings
    assert (f.rule, f.severity, f.secret) == ("pg.uri.1", Severity.LOW, pw)
    assert pw not in repr(f)
    assert pw not in redact(pw)
