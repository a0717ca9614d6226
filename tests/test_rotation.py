"""Rotation plans: every section, quoting, per-channel clean-up, tiers, and no secrets."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import make_password
from plan_fixtures import NOW, Triage, Verification, ci, config, finding, git, grouped, history

from pgsweep.assess.plan import CredentialPlan, Plan, Section
from pgsweep.assess.rotation import build_plan, quote_ident, quote_literal
from pgsweep.core.models import Finding

RDS = "prod.c9akciq32.eu-west-1.rds.amazonaws.com"


def plan_for(fs: list[Finding], **kw: object) -> Plan:
    return build_plan(fs, grouped(fs), kw.get("triage", {}), kw.get("verifications", {}), NOW)  # type: ignore[arg-type]


def only(plan: Plan) -> CredentialPlan:
    (p,) = plan.credentials
    return p


def commands(p: CredentialPlan, section: Section) -> list[str]:
    return [cmd for s in p.section(section) for cmd in s.commands]


def all_text(p: CredentialPlan) -> str:
    return "\n".join(f"{s.title}\n{s.detail}\n" + "\n".join(s.commands) for s in p.steps)


@pytest.mark.parametrize(
    ("name", "ident", "literal"),
    [
        ("app", '"app"', "'app'"),
        ('we"ird', '"we""ird"', "'we\"ird'"),
        ("o'brien", '"o\'brien"', "'o''brien'"),
        ('a"b\'c', '"a""b\'c"', "'a\"b''c'"),
        ("back\\slash", '"back\\slash"', "E'back\\\\slash'"),
        ("Mixed Case", '"Mixed Case"', "'Mixed Case'"),
    ],
)
def test_quoting(name: str, ident: str, literal: str) -> None:
    assert quote_ident(name) == ident
    assert quote_literal(name) == literal


def test_sections_are_in_order_and_complete() -> None:
    p = only(plan_for([finding(make_password(), "app", ("db.acme.io",), git())]))
    assert [s.section for s in p.steps] == sorted((s.section for s in p.steps),
                                                  key=list(Section).index)
    assert {s.section for s in p.steps} == set(Section)
    for section in Section:
        orders = [s.order for s in p.section(section)]
        assert orders == sorted(orders)


def test_rotate_section_two_credential_sequence() -> None:
    p = only(plan_for([finding(make_password(), "app", ("db.acme.io",), git())]))
    first, second = p.section(Section.ROTATE)
    assert first.title == "Treat the credential as compromised and rotate it now"
    assert "exposed for 31 days through git-history" in first.detail
    assert second.title == "Zero downtime: the two-credential sequence"
    for words in ("Create the new credential", "Deploy it", "pg_stat_activity",
                  "Revoke the old credential"):
        assert words in second.detail


def test_sql_for_a_weird_role_name() -> None:
    p = only(plan_for([finding(make_password(), 'we"ird', ("db.acme.io",), git())]))
    assert commands(p, Section.SQL) == [
        "SET password_encryption = 'scram-sha-256';",
        'CREATE ROLE "we""ird_next" WITH LOGIN INHERIT IN ROLE "we""ird";',
        "ALTER ROLE \"we\"\"ird_next\" SET role = 'we\"ird';",
        '\\password "we""ird_next"',
        ("SELECT pid, usename, client_addr, application_name, backend_start "
        "FROM pg_stat_activity WHERE usename = 'we\"ird';"),
        'ALTER ROLE "we""ird" WITH NOLOGIN;',
        '\\password "we""ird"',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'we\"ird';",
    ]
    assert "\\password" in p.section(Section.SQL)[1].detail


def test_sql_quotes_single_quotes_in_literals() -> None:
    p = only(plan_for([finding(make_password(), "o'brien", ("db.acme.io",), git())]))
    sql = commands(p, Section.SQL) + commands(p, Section.AUDIT)
    assert ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE usename = 'o''brien';") in sql
    assert 'ALTER ROLE "o\'brien" WITH NOLOGIN;' in sql
    grep = next(c for c in commands(p, Section.AUDIT) if c.startswith("grep"))
    assert grep == "grep -h 'connection authorized: user=o'\"'\"'brien' /var/log/postgresql/*.log"


def test_long_role_name_successor_fits_63_bytes() -> None:
    user = "r" * 63
    p = only(plan_for([finding(make_password(), user, ("db.acme.io",), git())]))
    create = commands(p, Section.SQL)[1]
    successor = create.split('"')[1]
    assert len(successor.encode()) == 63 and successor.endswith("_next")


def test_unknown_role_gets_a_placeholder_and_a_first_step() -> None:
    p = only(plan_for([finding(make_password(), None, ("db.acme.io",), history())]))
    first = p.section(Section.SQL)[0]
    assert first.title == "Find the role first"
    assert 'ALTER ROLE "<role>" WITH NOLOGIN;' in commands(p, Section.SQL)


def test_audit_section() -> None:
    p = only(plan_for([finding(make_password(), "postgres", (RDS,), git())]))
    titles = [s.title for s in p.section(Section.AUDIT)]
    assert titles == ["Who is connected now", "Log every connection from now on",
                      "Search logins since 2026-05-01", "Record what the role does with pgAudit",
                      "Plant a canary role", "Look for persistence an admin could leave behind"]
    cmds = commands(p, Section.AUDIT)
    assert "ALTER SYSTEM SET log_connections = on;" in cmds
    assert "ALTER ROLE \"postgres\" SET pgaudit.log = 'all';" in cmds
    canary = f'"canary_{p.credential.id[1:9]}"'
    assert f"\\password {canary}" in cmds
    assert any(c.startswith(f"CREATE ROLE {canary} WITH LOGIN NOSUPERUSER") for c in cmds)
    app = only(plan_for([finding(make_password(), "app", (RDS,), git())]))
    assert len(app.section(Section.AUDIT)) == 5


def test_clean_section_by_channel() -> None:
    pw = make_password()
    fs = [finding(pw, "app", ("db.acme.io",), git(path="config/database.yml")),
          finding(pw, "app", ("db.acme.io",), ci(path="logs/run-17.txt")),
          finding(pw, "app", ("db.acme.io",), history(path="/home/dev/.psql_history")),
          finding(pw, "app", ("db.acme.io",), config(path="/srv/app/.env"))]
    p = only(plan_for(fs))
    steps = {s.title: s for s in p.section(Section.CLEAN)}
    assert list(steps) == ["Rewrite git history", "Delete the CI logs",
                           "Clean shell and psql history", "Remove the password from config files"]
    g = steps["Rewrite git history"]
    assert "/src/shop:config/database.yml:3" in g.detail
    assert "rotation is needed regardless" in g.detail
    assert g.commands[0] == "git filter-repo --replace-text ../pgsweep-replacements.txt"
    assert g.commands[1].startswith("git filter-repo --invert-paths --path config/database.yml")
    assert g.commands[-1] == "git push --force --all && git push --force --tags"
    assert "logs/run-17.txt:3" in steps["Delete the CI logs"].detail
    h = steps["Clean shell and psql history"]
    assert "/home/dev/.psql_history:3" in h.detail
    assert "HISTCONTROL=ignorespace" in h.detail
    assert "echo '\\set HISTCONTROL ignorespace' >> ~/.psqlrc" in h.commands
    assert "/srv/app/.env:3" in steps["Remove the password from config files"].detail


@pytest.mark.parametrize(
    ("host", "tier1", "tier2", "tier3"),
    [
        (RDS, "AWS Secrets Manager", "RDS IAM database authentication", "RDS CA bundle"),
        ("shop.postgres.database.azure.com", "Azure Key Vault", "Microsoft Entra", "Azure root CA"),
        ("/cloudsql/acme:us-central1:shop", "Secret Manager", ("Cloud SQL IAM database "
         "authentication"), "client certificates"),
        ("db.acme.io", "secrets manager", "Vault database secrets engine", "verify-full"),
        ("10.0.0.5", "secrets manager", "Vault database secrets engine", "verify-full"),
        ("ep-cool-dawn-1.us-east-2.aws.neon.tech", "Neon's secret", "Vault database secrets",
         "verify-full"),
    ],
)
def test_prevention_tiers_name_the_cloud_mechanism(host: str, tier1: str, tier2: str,
                                                   tier3: str) -> None:
    p = only(plan_for([finding(make_password(), "app", (host,), git())]))
    t1, t2, t3, hook = p.section(Section.PREVENT)
    assert [t1.tier, t2.tier, t3.tier, hook.tier] == [1, 2, 3, None]
    assert tier1 in t1.detail and tier2 in t2.detail and tier3 in t3.detail
    assert hook.commands == ("pgsweep scan --staged",)


def test_provider_rotation_step() -> None:
    p = only(plan_for([finding(make_password(), "shop", ("/cloudsql/acme:us-central1:shop",),
                               git())]))
    step = p.section(Section.ROTATE)[2]
    assert step.title == "Rotate through Google Cloud SQL"
    assert step.commands == (("gcloud sql users set-password shop --instance=<instance> "
                             "--prompt-for-password"),)
    local = only(plan_for([finding(make_password(), "app", ("localhost",), git())]))
    assert [s.title for s in local.section(Section.ROTATE)] == [
        "Treat the credential as compromised and rotate it now",
        "Zero downtime: the two-credential sequence"]


def test_rotated_credentials_get_a_confirmation_step() -> None:
    f = finding(make_password(), "app", ("db.acme.io",), git())
    rotated = Verification("offline", "rotated", None, "2026-05-30T00:00:00+00:00")
    p = only(plan_for([f], verifications={f.credential: [rotated]}))
    assert p.section(Section.ROTATE)[0].title == "Confirm the rotation and finish the clean-up"
    p2 = only(plan_for([f], triage={f.credential: Triage("rotated", None, "2026-05-30")}))
    assert p2.section(Section.ROTATE)[0].title == "Confirm the rotation and finish the clean-up"


def test_plan_order_and_locations() -> None:
    pw = make_password()
    fs = [finding(make_password(), "app", ("localhost",), history()),
          finding(pw, "postgres", (RDS,), ci(ts="2026-05-03T00:00:00Z")),
          finding(pw, "postgres", (RDS,), git(date="2026-04-01T00:00:00+00:00", at_head=False))]
    plan = plan_for(fs)
    assert plan.generated_at == "2026-06-01T12:00:00+00:00"
    assert [p.credential.id for p in plan.credentials] == [fs[1].credential, fs[0].credential]
    locs = plan.credentials[0].locations
    assert [(str(loc.channel), loc.where, loc.line, loc.present) for loc in locs] == [
        ("git-history", "/src/shop:config/database.yml", 3, False),
        ("ci-log", "logs/build.txt", 3, None)]
    assert locs[0].detail == "introduced in a1b2c3d4e5f6, by Dev One <dev@example.com>"
    assert locs[1].detail == "github-actions job build step test"


def test_no_secret_anywhere_in_a_plan() -> None:
    secrets = [make_password() for _ in range(4)]
    fs = [finding(secrets[0], "postgres", (RDS,), git()),
          finding(secrets[1], "o'brien", ("10.0.0.5",), ci()),
          finding(secrets[2], None, ("db.acme.io",), history()),
          # a mangled URI where part of the password ended up in the host and the database
          finding(secrets[3], "app", (f"{secrets[3]}@db.acme.io",), config(),
                  database=f"x{secrets[3]}")]
    plan = plan_for(fs)
    text = repr(plan) + "".join(all_text(p) for p in plan.credentials)
    for s in secrets:
        assert s not in text
    leaky = next(p for p in plan.credentials if p.credential.id == fs[3].credential)
    assert leaky.credential.hosts == ("[REDACTED]@db.acme.io",)
    assert leaky.credential.database == "x[REDACTED]"


def test_recommendations_are_frozen() -> None:
    p = only(plan_for([finding(make_password(), "app", ("db.acme.io",), git())]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.steps[0].title = "x"  # type: ignore[misc]
