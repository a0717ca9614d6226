"""Config-file readers: each format built for real, scanned by the real detectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from filescan import Row, row, scan_data, shared_scanner
from provenances import file_of

from pgsweep.findings.pipeline import Scanner
from pgsweep.parsers.pgpass import split_fields
from pgsweep.readers import registry
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS
from pgsweep.readers.mail import MAIL_READER
from pgsweep.readers.text import TEXT_READER


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()



def test_pgpass_escapes_wildcards_and_permissions(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    escaped = p2.replace("Pw", "P\\:w\\\\")  # the file writes ':' and '\' escaped
    text = (
        "# saved by hand\n"
        f"db.corp.net:5432:prod:app:{p1}\n"
        "too:few:colons\n"
        f"*:*:*:replicator:{escaped}:ignored-extra\r\n"
        "*:*:*:postgres:changeme\n"
    )
    found, _ = scan_data(scanner, ".pgpass", text.encode(), path="/home/a/.pgpass", mode="0644")
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/home/a/.pgpass", 2, "app", "db.corp.net", p1, "prod"),
        Row("/home/a/.pgpass", 4, "replicator", None, p2.replace("Pw", "P:w\\"), None),
        Row("/home/a/.pgpass", 5, "postgres", None, "changeme", None),
    ]
    assert [str(f.severity) for f in sorted(found, key=lambda f: f.line)][-1] == "info"
    assert file_of(found[0]).reader == "pgpass"
    assert {f.rule for f in found} == {"pg.pgpass.1"}
    assert file_of(found[0]).risk_flags == ("pgpass-group-or-world-accessible:0644",)
    private, _ = scan_data(scanner, ".pgpass", text.encode(), mode="0600")
    assert {file_of(f).risk_flags for f in private} == {None}


def test_pgpass_escaped_ipv6_host_is_one_finding(scanner: Scanner) -> None:
    pw = make_password()
    text = f"\\:\\:1:12345:*:app:{pw}\n"
    found, _ = scan_data(scanner, ".pgpass", text.encode(), path="/home/a/.pgpass")
    assert [(row(f), f.rule, f.port) for f in found] == [
        (Row("/home/a/.pgpass", 1, "app", "::1", pw, None), "pg.pgpass.1", "12345")]


def test_pg_service_findings_carry_the_service_file_rule(scanner: Scanner) -> None:
    pw = make_password()
    text = f"[prod]\nhost=pg.corp.net\nuser=app\npassword={pw}\n"
    found, _ = scan_data(scanner, "pg_service.conf", text.encode())
    assert [(row(f), f.rule) for f in found] == [
        (Row("/data/pg_service.conf", 4, "app", "pg.corp.net", pw, None), "pg.pgservice.1")]


def test_the_file_pgpassfile_names_is_read_as_pgpass(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    passfile = tmp_path / "work.credentials"
    passfile.write_text(f"pg.corp.net:5432:*:app:{pw}\n")
    res = run_cli("scan", str(passfile), "--format", "json", "--reveal",
                  env={"PGPASSFILE": str(passfile)})
    assert [(f["path"], f["line"], f["user"], f["secret"], f["provenance"]["reader"])
            for f in json.loads(res.stdout)["findings"]] == [
        (str(passfile), 1, "app", pw, "pgpass")]


def test_pgpass_reader_and_signature_share_one_field_parser() -> None:
    assert split_fields(r"127.0.0.1:55439:*:erin:a\:b\\c#d:ignored-extra") == [
        "127.0.0.1", "55439", "*", "erin", "a:b\\c#d"]


def test_pg_service_sections_join_user_host_and_map_to_the_password_line(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    text = (
        "# services\n"
        "[prodsvc]\n"
        "host=pg.corp.net\n"
        "port=5433\n"
        "dbname=prod\n"
        "user=app\n"
        f"password={p1}:b\\c#d\n"
        "\n"
        "[nopw]\n"
        "host=other.corp.net\n"
        "[quoted]\n"
        f"password='{p2}'\n"
        "user=ops\n"
        "host=ops.corp.net\n"
    )
    found, _ = scan_data(scanner, "pg_service.conf", text.encode())
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/data/pg_service.conf", 7, "app", "pg.corp.net", p1 + ":b\\c#d", "prod"),
        # no quoting in service files: the quotes are part of the password
        Row("/data/pg_service.conf", 12, "ops", "ops.corp.net", f"'{p2}'", None),
    ]
    assert found[0].port == "5433"


def test_dotenv_quoting_groups_and_placeholders(scanner: Scanner) -> None:
    p1, p2, p3, p4 = (make_password() for _ in range(4))
    text = (
        "# app settings\n"
        "PGHOST=pg.corp.net\n"
        "PGUSER=app\n"
        f'export PGPASSWORD="{p1}\\"x"   # comment\n'
        "PGDATABASE=prod\n"
        f"DATABASE_URL='postgresql://web:{p2}@web.corp.net/site'\n"
        'MULTI="first line\n'
        f'postgres://ml:{p3}@ml.corp.net/x\n'
        'last"\n'
        f"POSTGRES_PASSWORD={p4} # inline comment\n"
        "POSTGRES_USER=svc\n"
        "DB_PASSWORD=changeme\n"
    )
    found, stats = scan_data(scanner, ".env", text.encode(), path="/srv/.env")
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/srv/.env", 4, "app", "pg.corp.net", p1 + '"x', "prod"),
        Row("/srv/.env", 6, "web", "web.corp.net", p2, "site"),
        Row("/srv/.env", 7, "ml", "ml.corp.net", p3, "x"),
        Row("/srv/.env", 10, "svc", None, p4, None),
        # a placeholder, at info, with the context the generic form finds nearby
        Row("/srv/.env", 12, "svc", "pg.corp.net", "changeme", "prod"),
    ]
    assert {str(f.severity) for f in found if f.secret == "changeme"} == {"info"}
    # each finding carries the rule of the form it was written in, not a synthetic URI's
    assert sorted((f.line, f.rule) for f in found) == [
        (4, "pg.env.1"), (6, "pg.uri.1"), (7, "pg.uri.1"), (10, "pg.env.2"), (12, "pg.dotenv.1")]
    assert stats.suppressed == {}  # reported at info, not suppressed


def test_dotenv_generic_names_need_a_postgres_hint(scanner: Scanner) -> None:
    pw = make_password()
    mysql = f"DB_HOST=my.corp.net\nDB_USER=app\nDB_PASSWORD={pw}\nDB_PORT=3306\n"
    assert scan_data(scanner, ".env", mysql.encode())[0] == []
    pg = mysql.replace("3306", "5432")
    assert [row(f) for f in scan_data(scanner, ".env", pg.encode())[0]] == [
        Row("/data/.env", 3, "app", "my.corp.net", pw, None)]


def test_psqlrc_setenv_and_connect_lines(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    text = (
        "\\set QUIET 1\n"
        "\\setenv PGUSER ops\n"
        f"\\setenv PGPASSWORD '{p1}''s'\n"
        f"\\c postgresql://rep:{p2}@rep.corp.net/db\n"
    )
    found, _ = scan_data(scanner, ".psqlrc", text.encode())
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/data/.psqlrc", 3, "ops", None, p1 + "'s", None),
        Row("/data/.psqlrc", 4, "rep", "rep.corp.net", p2, "db"),
    ]


def test_compose_map_list_and_defaults(scanner: Scanner) -> None:
    p1, p2, p3 = make_password(), make_password(), make_password()
    text = (
        "services:\n"
        "  maindb:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        "      POSTGRES_USER: app\n"
        f"      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD:-{p1}}}\n"
        "      POSTGRES_DB: prod\n"
        "  replica:\n"
        "    environment:\n"
        f"      - POSTGRESQL_REPLICATION_PASSWORD={p2}\n"
        "      - POSTGRESQL_REPLICATION_USER=repl\n"
        "      - POSTGRESQL_MASTER_HOST=maindb\n"
        "  app:\n"
        "    environment:\n"
        f"      DATABASE_URL: postgres://web:{p3}@maindb.corp.net/prod\n"
        "      PGPASSWORD: ${PGPASSWORD}\n"
        "  other:\n"
        "    environment:\n"
        "      POSTGRES_PASSWORD_FILE: /run/secrets/pg\n"
    )
    found, stats = scan_data(scanner, "docker-compose.yml", text.encode(),
                             path="/p/docker-compose.yml")
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/p/docker-compose.yml", 6, "app", "maindb", p1, "prod"),
        Row("/p/docker-compose.yml", 10, "repl", "maindb", p2, None),
        Row("/p/docker-compose.yml", 15, "web", "maindb.corp.net", p3, "prod"),
    ]
    assert {file_of(f).reader for f in found} == {"docker-compose"}
    assert sorted((f.line, f.rule) for f in found) == [
        (6, "pg.env.2"), (10, "pg.env.2"), (15, "pg.uri.1")]
    assert stats.suppressed == {"template": 1}


def test_compose_service_name_is_the_host_only_of_a_postgres_service(scanner: Scanner) -> None:
    """A service running PostgreSQL is reached by its name; an application's service that
    sets POSTGRES_PASSWORD for its client names no server by its own name (redash's CI
    compose file gave its database password the host `redash`)."""
    p1, p2 = make_password(), make_password()
    text = (
        "services:\n"
        "  redash:\n"
        "    build: ../\n"
        "    environment:\n"
        f"      POSTGRES_PASSWORD: \"{p1}\"\n"
        "  pgnative:\n"
        "    image: ghcr.io/knex/postgres:17-alpine\n"
        "    environment:\n"
        "      - POSTGRES_USER=testuser\n"
        f"      - POSTGRES_PASSWORD={p2}\n"
    )
    found, _ = scan_data(scanner, "compose.ci.yaml", text.encode(), path="/p/compose.ci.yaml")
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/p/compose.ci.yaml", 5, "postgres", None, p1, None),
        Row("/p/compose.ci.yaml", 10, "testuser", "pgnative", p2, None),
    ]


def test_kubernetes_secret_string_data_and_pod_env(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    text = (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata: {name: pg-app}\n"
        "stringData:\n"
        "  host: pg-rw.db.svc\n"
        "  username: app\n"
        f"  password: {p1}\n"
        "  port: '5432'\n"
        "---\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "        - name: web\n"
        "          env:\n"
        "            - name: PGHOST\n"
        "              value: pg-rw.db.svc\n"
        "            - name: PGPASSWORD\n"
        f"              value: \"{p2}\"\n"
        "            - name: PGUSER\n"
        "              value: web\n"
    )
    found, _ = scan_data(scanner, "app.yaml", text.encode())
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/data/app.yaml", 7, "app", "pg-rw.db.svc", p1, None),
        Row("/data/app.yaml", 21, "web", "pg-rw.db.svc", p2, None),
    ]
    assert {file_of(f).reader for f in found} == {"kubernetes"}
    assert sorted((f.line, f.rule) for f in found) == [(7, "pg.k8s.1"), (21, "pg.env.1")]


def test_helm_values_auth(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    text = (
        "postgresql:\n"
        "  auth:\n"
        f"    postgresPassword: {p1}\n"
        "    username: app\n"
        f"    password: {p2}\n"
        "    database: appdb\n"
        "redis:\n"
        "  auth:\n"
        f"    password: {make_password()}\n"
    )
    found, _ = scan_data(scanner, "values.yaml", text.encode())
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/data/values.yaml", 3, "postgres", None, p1, "appdb"),
        Row("/data/values.yaml", 5, "app", None, p2, "appdb"),
    ]
    assert {file_of(f).reader for f in found} == {"helm-values"}
    # read from the text by the chart's own signatures, not joined into a URI
    assert sorted((f.line, f.rule) for f in found) == [(3, "pg.helm.1"), (5, "pg.helm.2")]


def test_broken_yaml_is_scanned_as_text(scanner: Scanner) -> None:
    pw = make_password()
    text = f"key: [unclosed\nurl: postgresql://a:{pw}@h.corp.net/d\n{{{{ template }}}}\n"
    found, _ = scan_data(scanner, "chart.yaml", text.encode())
    assert [row(f) for f in found] == [Row("/data/chart.yaml", 2, "a", "h.corp.net", pw, "d")]


def test_notebook_cells_map_to_file_lines_and_name_the_cell(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n", "notes"]},
            {
                "cell_type": "code", "execution_count": 1, "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream",
                             "text": ["connecting\n", f"postgresql://bi:{p2}@bi.corp.net/dw\n"]}],
                "source": ["import sqlalchemy\n",
                           f"engine = sqlalchemy.create_engine(\"postgresql://bi:{p1}@bi.corp.net/dw\")\n",
                           "engine.connect()"],
            },
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    raw = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    lines = raw.splitlines()
    src_line = next(i for i, ln in enumerate(lines, 1) if p1 in ln)
    out_line = next(i for i, ln in enumerate(lines, 1) if p2 in ln)
    found, _ = scan_data(scanner, "report.ipynb", raw.encode())
    assert {(row(f), file_of(f).section) for f in found} == {
        (Row("/data/report.ipynb", src_line, "bi", "bi.corp.net", p1, "dw"), "cell 2"),
        (Row("/data/report.ipynb", out_line, "bi", "bi.corp.net", p2, "dw"), "cell 2"),
    }


def test_primary_conninfo_in_postgresql_auto_conf(scanner: Scanner) -> None:
    pw = make_password()
    text = (
        "# Do not edit this file manually!\n"
        "# It will be overwritten by the ALTER SYSTEM command.\n"
        f"primary_conninfo = 'user=replicator password=''{pw}'' host=10.0.0.5 port=5432 "
        "sslmode=prefer application_name=standby1'\n"
    )
    found, _ = scan_data(scanner, "postgresql.auto.conf", text.encode())
    assert [(row(f), f.rule) for f in found] == [
        (Row("/data/postgresql.auto.conf", 3, "replicator", "10.0.0.5", pw, None), "pg.dsn.1")]
    assert dict(found[0].params)["application_name"] == "standby1"
    assert file_of(found[0]).reader == "postgresql-conf"


def test_registry_order_and_choice() -> None:
    readers = registry.READERS
    assert len({r.name for r in readers}) == len(readers)  # names are persisted in provenance
    assert readers[-1] is TEXT_READER
    logs = LOG_AND_HISTORY_READERS
    assert readers[0] is MAIL_READER  # claims only a mail header block
    assert readers[1 : len(logs) + 1] == tuple(logs)

    def chosen(name: str, head: bytes = b"") -> str:
        return registry.select_reader(FileInfo(path=f"/x/{name}", name=name), head).name

    assert chosen(".pgpass") == "pgpass"
    assert chosen("pgpass.conf") == "pgpass"
    assert chosen(".pg_service.conf") == "pg-service"
    assert chosen(".env.production") == "dotenv"
    assert chosen("compose.yaml") == "yaml"
    assert chosen("notes.ipynb") == "notebook"
    assert chosen("credentials-config.json") == "dbeaver"
    assert chosen("pgadmin4.db") == "pgadmin"
    assert chosen("README.md") == "text"
    assert chosen("mbox", b"From a@corp.example Tue Jan  2 10:00:00 2024\nFrom: a@corp.example\n"
                          b"Subject: hi\n\nbody\n") == "mail"
    assert chosen("notes.eml", b"Subject: hi\nFrom: a@corp.example\n\nbody\n") == "mail"
    assert chosen("notes.txt", b"Subject: hi\nFrom: a@corp.example\n\nbody\n") == "text"
