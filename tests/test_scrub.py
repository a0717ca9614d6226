"""Every field but the secret is scrubbed of secret material, and only of that.

Each case runs the real pipeline (detector, parser, filters, scrubbing) over one line and
asserts the exact fields a report shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password
from filescan import shared_scanner

from pgsweep.core.models import FileProvenance, Finding
from pgsweep.findings.pipeline import Scanner
from pgsweep.findings.scrub import MARK, is_distinctive, scrub_host, scrub_text
from pgsweep.sources.files import FileSource


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()


def scan_file(scanner: Scanner, folder: Path, name: str, text: str) -> list[Finding]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return list(scanner.run(FileSource(folder)).findings)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [(f.rule, f.user, f.hosts) for f in findings]
    return findings[0]


def test_raw_at_in_a_uri_password_leaves_the_rest_out_of_the_host(
    scanner: Scanner, tmp_path: Path
) -> None:
    # libpq reads password "Zq9Xw" and host "Lm4Kp7Rt@db.example.com"
    f = only(scan_file(scanner, tmp_path, "app.env",
                       "DATABASE_URL=postgres://app:Zq9Xw@Lm4Kp7Rt@db.example.com/prod\n"))
    assert (f.rule, f.user, f.hosts, f.database, f.secret) == (
        "pg.uri.1", "app", (f"{MARK}@db.example.com",), "prod", "Zq9Xw")


def test_raw_at_and_slash_in_a_uri_password_leave_no_part_in_host_or_database(
    scanner: Scanner, tmp_path: Path
) -> None:
    # libpq reads password "Qv7K", host "Jx9M" and database "b2Wn4@db.example.com/prod"
    f = only(scan_file(scanner, tmp_path, "app.env",
                       "DATABASE_URL=postgres://app:Qv7K@Jx9M/b2Wn4@db.example.com:5432/prod\n"))
    assert (f.rule, f.user, f.hosts, f.ports, f.database, f.secret) == (
        "pg.uri.1", "app", ("db.example.com",), ("5432",), "prod", "Qv7K@Jx9M/b2Wn4")


def test_nested_uri_in_the_database_loses_its_password(scanner: Scanner, tmp_path: Path) -> None:
    f = only(scan_file(
        scanner, tmp_path, "app.env",
        "B_URL=postgresql://bob:Hy6Tr5Ee4Ww3@db3.example.com/postgres://x:Nested9Secret@y/db\n"))
    assert (f.user, f.hosts, f.database) == (
        "bob", ("db3.example.com",), f"postgres://x:{MARK}@y/db")


def test_unreadable_nested_uri_in_a_dsn_loses_its_password(
    scanner: Scanner, tmp_path: Path
) -> None:
    # a raw "%" in the nested password: libpq cannot read it, so the database is shown whole
    found = scan_file(
        scanner, tmp_path, "run.sh",
        "psql \"host=db3.example.com user=bob password=Kq8Wj2Nx5Rb7 "
        "dbname='postgresql://x:50%zzoff@h2/d'\"\n")
    f = only([f for f in found if f.rule == "pg.dsn.1"])
    assert (f.user, f.hosts, f.database, f.secret) == (
        "bob", ("db3.example.com",), f"postgresql://x:{MARK}@h2/d", "Kq8Wj2Nx5Rb7")


def test_secret_parameters_and_repeats_of_the_password_are_redacted(
    scanner: Scanner, tmp_path: Path
) -> None:
    f = only(scan_file(
        scanner, tmp_path, "app.env",
        "C_URL=postgresql://carol:Pp0Oo9Ii8Uu7@db4.example.com/prod?sslpassword=Ss1Dd2Ff3Gg4"
        "&application_name=Pp0Oo9Ii8Uu7&sslmode=verify-full\n"))
    assert f.params == (("sslpassword", MARK), ("application_name", MARK),
                        ("sslmode", "verify-full"))


def test_the_rest_of_a_password_read_as_a_parameter_name_is_replaced(
    scanner: Scanner, tmp_path: Path
) -> None:
    # pgjdbc reads password "Qv7K" and a parameter "Jx9Mb2Wn4" with no value (a raw "&")
    f = only(scan_file(scanner, tmp_path / "jdbc", "app.properties",
                       "spring.datasource.url=jdbc:postgresql://db.corp.net/prod"
                       "?user=app&password=Qv7K&Jx9Mb2Wn4&ssl=true\n"))
    assert (f.rule, f.user, f.hosts, f.database, f.secret) == (
        "pg.jdbc.1", "app", ("db.corp.net",), "prod", "Qv7K")
    assert f.params == ((MARK, ""), ("ssl", "true"))
    # libpq reads password "Qv7K", host "Jx9M" and a query key holding the real host
    f = only(scan_file(scanner, tmp_path / "uri", "app.env",
                       "DATABASE_URL=postgresql://app:Qv7K@Jx9M/b2Wn4?x@db.corp.net:5432/prod"
                       "?sslmode=require\n"))
    assert f.params == ((MARK, "require"),)


def test_a_distinctive_password_inside_other_fields_is_replaced(
    scanner: Scanner, tmp_path: Path
) -> None:
    pw = make_password(12)
    f = only(scan_file(scanner, tmp_path / f"backup-{pw}", "app.env",
                       f"URL=postgres://svc_{pw}:{pw}@{pw}.db.example.com/{pw}_db\n"))
    assert (f.user, f.hosts, f.database) == (
        f"svc_{MARK}", (f"{MARK}.db.example.com",), f"{MARK}_db")
    assert isinstance(f.provenance, FileProvenance)
    assert f.provenance.path == str(tmp_path / f"backup-{MARK}" / "app.env")
    assert f.secret == pw


def test_a_weak_password_leaves_innocent_fields_alone(scanner: Scanner, tmp_path: Path) -> None:
    f = only(scan_file(
        scanner, tmp_path, "values.env",
        "URL=postgres://postgres:postgres@core-postgresql.prod.svc.cluster.local/postgres\n"))
    assert (f.user, f.hosts, f.database, f.secret) == (
        "postgres", ("core-postgresql.prod.svc.cluster.local",), "postgres", "postgres")


@pytest.mark.parametrize(
    ("secret", "distinctive"),
    [("postgres", False), ("Postgres", False), ("20240101", False), ("hunter2", False),
     ("postgres1", True), ("Tx4Vb7Nm", True), ("p@ss-word", True)],
)
def test_distinctive_secrets(secret: str, distinctive: bool) -> None:
    assert is_distinctive(secret) is distinctive


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("postgres://x:Nested9Secret@y/db", f"postgres://x:{MARK}@y/db"),
        ("postgres://x:Sup3r/Secret@y/db", f"postgres://x:{MARK}@y/db"),
        ("a://u:p@h/d?next=b@c", f"a://u:{MARK}@h/d?next=b@c"),
        ("host=h password='a b\\'c' dbname=d", f"host=h password={MARK} dbname=d"),
        ("Server=h;Pwd=Qx7;Database=d", f"Server=h;Pwd={MARK};Database=d"),
        ("postgres://app@h/db", "postgres://app@h/db"),
        ("https://example.com/a:b@c", f"https://example.com/a:{MARK}@c"),
        ("://" * 5000, "://" * 5000),
    ],
)
def test_scrub_text_known_answers(text: str, clean: str) -> None:
    assert scrub_text(text, ()) == clean


def test_scrub_host_cuts_up_to_the_last_at() -> None:
    assert scrub_host("a@b@db.example.com", ()) == f"{MARK}@db.example.com"
    assert scrub_host("db.example.com", ()) == "db.example.com"


def test_overlapping_secrets_are_masked_as_one_stretch() -> None:
    # two passwords that overlap in a field: no character of either is left showing
    first, second = "ab-cdefgh1", "cdefgh1-23456"
    assert scrub_text("x ab-cdefgh1-23456 y", [first, second]) == f"x {MARK} y"
    assert scrub_text("ab-cdefgh1 and cdefgh1-23456", [second, first]) == f"{MARK} and {MARK}"


def test_a_secret_is_masked_wherever_it_recurs_and_weak_ones_nowhere() -> None:
    secret = "Zq81-xLpe2"
    assert scrub_text(f"{secret}/{secret}.d", [secret, "postgres"]) == f"{MARK}/{MARK}.d"
    assert scrub_text("core-postgres.prod", [secret, "postgres"]) == "core-postgres.prod"
