"""A password whose every place is test code or a CI definition, with no real server named,
is a test fixture's: at most low. One real place or one real server keeps its severity."""

from __future__ import annotations

import pytest
from conftest import make_password
from plan_fixtures import NOW, Verification, finding, git, grouped

from pgsweep.assess.fixtures import is_test_path
from pgsweep.assess.risk import assess
from pgsweep.core.models import Severity

FIXTURE = "place.test-fixture"


@pytest.mark.parametrize("path", [
    "test/unit/client/configuration-tests.js", "packages/pg/test/integration/x.js",
    "tests/test_engine.py", "lib/test_dialect.py", "pkg/db/conn_test.go", "src/__tests__/a.ts",
    "src/db.spec.ts", "web/client.test.jsx", "spec/models/user_spec.rb",
    "src/test/java/org/acme/DbTest.java", "Npgsql.Tests/ConnTests.cs", "conftest.py",
    "testdata/dump.sql", "fixtures/db.yml", ".github/workflows/ci.yml", ".travis.yml",
    ".gitlab-ci.yml", ".circleci/config.yml", "Jenkinsfile", "/home/a/proj/tests/e.env",
    ".ci/docker-compose.ci.yml", "docker-compose.ci.yaml", ".drone.yml", ".buildkite/pipeline.yml",
    "cloudbuild.yaml",
])
def test_test_code_and_ci_definitions(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize("path", [
    "config/database.yml", "src/app/db.ts", "deploy/prod.env", "scripts/init-scram.sql",
    "docs/testing.md", "contest/db.py", "latest/config.yml", "src/attestation.go",
    "app/testimonials.js", ".github/dependabot.yml", "/srv/app/.env", "deploy/docker-compose.yml",
    "src/civic.yml", "ci.md",
])
def test_other_places(path: str) -> None:
    assert not is_test_path(path)


@pytest.mark.parametrize("hosts", [(), ("localhost",), ("utHost1",), ("db.example.com",)])
def test_a_fixture_is_at_most_low(hosts: tuple[str, ...]) -> None:
    pw = make_password()
    fs = [finding(pw, "app", hosts, git(path="test/unit/conn-tests.js")),
          finding(pw, "app", hosts, git(path=".github/workflows/ci.yml"))]
    (c,) = grouped(fs)
    r = assess(c, fs, NOW)
    assert r.severity <= Severity.LOW
    assert FIXTURE in [f.name for f in r.factors]


@pytest.mark.parametrize("hosts", [("db.corp.net",), ("10.1.2.3",),
                                   ("prod.c9akciq32.eu-west-1.rds.amazonaws.com",)])
def test_a_real_server_in_test_code_keeps_its_severity(hosts: tuple[str, ...]) -> None:
    pw = make_password()
    fs = [finding(pw, "app", hosts, git(path="test/integration/db-tests.js"))]
    (c,) = grouped(fs)
    r = assess(c, fs, NOW)
    assert r.severity >= Severity.MEDIUM
    assert FIXTURE not in [f.name for f in r.factors]


def test_one_place_outside_test_code_keeps_its_severity() -> None:
    pw = make_password()
    fs = [finding(pw, "app", (), git(path="test/unit/conn-tests.js")),
          finding(pw, "app", (), git(path="scripts/init.sql"))]
    (c,) = grouped(fs)
    r = assess(c, fs, NOW)
    assert r.severity >= Severity.MEDIUM
    assert FIXTURE not in [f.name for f in r.factors]
    assert assess(c, fs[:1], NOW).severity <= Severity.LOW


def test_a_working_password_is_no_fixture() -> None:
    pw = make_password()
    fs = [finding(pw, "app", ("localhost",), git(path="tests/test_db.py"))]
    (c,) = grouped(fs)
    live = Verification(status="valid", checked_at=NOW.isoformat(), method="live", detail=None)
    assert assess(c, fs, NOW, verifications=[live]).severity >= Severity.HIGH
