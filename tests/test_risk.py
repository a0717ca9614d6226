"""Severity rules, their explanation, reuse across environments and weak transport."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from conftest import make_password
from plan_fixtures import NOW, Triage, Verification, ci, config, finding, git, grouped, history

from pgsweep.assess.hosts import HostClass
from pgsweep.assess.risk import assess, assess_all, explain
from pgsweep.assess.risk_factors import FACTORS, Channel, Facts, RiskFactor, weakest_sslmode
from pgsweep.core.models import FindingId, SecretKind, Severity

RDS = "prod.c9akciq32.eu-west-1.rds.amazonaws.com"


def factor_names(risk) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.name for f in risk.factors]


def test_cloud_superuser_at_branch_tip_is_critical() -> None:
    f = finding(make_password(), "postgres", (RDS,), git(), params=(("sslmode", "verify-full"),))
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert r.severity is Severity.CRITICAL
    assert r.factors == (
        RiskFactor("host.cloud", 4, "cloud host (AWS RDS): AWS RDS managed endpoint; reachable "
                   "from the internet and usually production"),
        RiskFactor("role.privileged", 2, "role 'postgres' is a superuser, admin or owner role: "
                   "it can read and change every table, and often run programs on the server"),
        RiskFactor("channel.git-history", 2,
                   "git history is copied to every clone, fork and CI cache"),
        RiskFactor("git.at-head", 1, "still present at the branch tip: every new checkout gets "
                   "it in plain sight"),
        RiskFactor("age.within-window", 0, "exposed for 31 days since 2026-05-01"),
    )
    assert r.score == 9
    assert (r.host.cls, r.host.provider, r.privileged) == (HostClass.CLOUD, "AWS RDS", True)
    assert r.channels == (Channel.GIT,)
    assert r.present_at_head is True
    assert r.exposure_days == 31


def test_local_password_in_shell_history_is_low() -> None:
    f = finding(make_password(), "app", ("localhost",), history())
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert r.severity is Severity.LOW
    assert factor_names(r) == ["host.local", "channel.shell-history", "age.within-window"]
    assert r.score == -2


def test_history_only_and_over_the_rotation_window() -> None:
    f = finding(make_password(), "app", ("10.0.0.5",), git(date="2025-12-01T00:00:00Z",
                                                            at_head=False))
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert factor_names(r) == ["host.internal", "channel.git-history", "git.history-only",
                               "age.over-window", "transport.weak"]
    age = r.factors[3]
    assert (age.effect, age.reason) == (1, ("exposed for 182 days since 2025-12-01, beyond the "
                                           "90-day rotation window"))
    assert r.present_at_head is False
    assert (r.score, r.severity) == (5, Severity.HIGH)


def test_the_same_leak_younger_than_the_window_scores_lower() -> None:
    f = finding(make_password(), "app", ("10.0.0.5",), git(at_head=False),
                params=(("sslmode", "verify-full"),))
    (c,) = grouped([f])
    assert assess(c, [f], NOW).score == 3
    assert assess(c, [f], NOW + timedelta(days=120)).score == 4  # now is explicit


def test_several_channels_and_the_widest_counts() -> None:
    pw = make_password()
    fs = [finding(pw, "app", ("db.acme.io",), history()),
          finding(pw, "app", ("db.acme.io",), ci())]
    (c,) = grouped(fs)
    r = assess(c, fs, NOW)
    assert r.channels == (Channel.CI_LOG, Channel.HISTORY)
    assert [(f.name, f.effect) for f in r.factors[:3]] == [
        ("host.public", 3), ("channel.ci-log", 2), ("channel.multiple", 1)]
    assert "(also in: shell-history)" in r.factors[1].reason
    assert r.first_seen == "2026-05-10T08:00:00+00:00"


def test_live_verification_raises_to_at_least_high() -> None:
    f = finding(make_password(), "app", ("pgprimary",), history(),
                params=(("sslmode", "verify-full"),))
    (c,) = grouped([f])
    assert assess(c, [f], NOW).severity is Severity.LOW
    live = Verification("offline", "live", None, "2026-05-30T00:00:00+00:00")
    r = assess(c, [f], NOW, verifications=[live])
    assert r.severity is Severity.HIGH
    v = r.factors[-1]
    assert (v.name, v.effect, v.floor) == ("verified.live", 3, Severity.HIGH)
    assert r.verification == "live"


def test_rotated_verification_caps_at_low_and_the_latest_record_wins() -> None:
    f = finding(make_password(), "postgres", (RDS,), git())
    (c,) = grouped([f])
    old = Verification("live", "valid", None, "2026-05-02T00:00:00+00:00")
    new = Verification("offline", "rotated", None, "2026-05-30T00:00:00+00:00")
    r = assess(c, [f], NOW, verifications=[new, old])
    assert r.severity is Severity.LOW
    assert r.factors[-1].name == "verified.rotated"
    assert r.factors[-1].describe_effect() == "at most low"
    unknown = Verification("live", "unknown", {"error": "timeout"}, "2026-05-31T00:00:00+00:00")
    r2 = assess(c, [f], NOW, verifications=[new, unknown])
    assert r2.severity is Severity.CRITICAL
    assert r2.factors[-1].name == "verified.unknown"


def test_triage_states() -> None:
    f = finding(make_password(), "postgres", (RDS,), git())
    (c,) = grouped([f])
    fp = assess(c, [f], NOW, triage=Triage("false-positive", "test fixture", "2026-05-02"))
    assert fp.severity is Severity.INFO
    assert fp.factors[-1].reason == "triaged as a false positive: test fixture"
    assert assess(c, [f], NOW, triage=Triage("rotated", None, "x")).severity is Severity.LOW
    assert assess(c, [f], NOW, triage=Triage("accepted", None, "x")).severity is Severity.CRITICAL
    live = Verification("live", "valid", None, "2026-05-30T00:00:00+00:00")
    contradicted = assess(c, [f], NOW, verifications=[live], triage=Triage("rotated", None, "x"))
    assert contradicted.severity is Severity.CRITICAL
    assert contradicted.factors[-1].name == "triage.rotated-but-live"


def test_hash_and_partial_secrets_score_lower() -> None:
    f = finding("md5" + "0" * 32, "app", ("db.acme.io",), config(), kind=SecretKind.PASSWORD_HASH)
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert "kind.hash" in factor_names(r)
    assert r.score == 3 + 1 - 1 + 1  # public, config file, hash, weak transport


def test_reuse_across_environments_is_its_own_issue() -> None:
    pw = make_password()
    dev = finding(pw, "app", ("localhost",), config(path="/home/dev/shop/.env"))
    prod = finding(pw, "shop", (RDS,), ci(), params=(("sslmode", "verify-full"),))
    other = finding(make_password(), "app", ("localhost",), config(path="/home/dev/x/.env"))
    creds = grouped([dev, prod, other])
    a = assess_all([dev, prod, other], creds, NOW)
    (issue,) = a.reuse
    assert set(issue.credentials) == {dev.credential, prod.credential}
    assert dict(zip(issue.accounts, issue.host_classes, strict=True)) == {
        "app@localhost": HostClass.LOCAL, f"shop@{RDS}": HostClass.CLOUD}
    assert issue.spans_environments
    dev_risk = a.risk_of(dev.credential)
    assert dev_risk is not None
    names = factor_names(dev_risk)
    assert names[-2:] == ["reuse", "reuse.wider-host"]
    wider = dev_risk.factors[-1]
    assert wider.effect == 6  # scored as the cloud host: +4 instead of -2
    assert wider.reason == (f"the same password also opens shop@{RDS}, a cloud host (AWS RDS): "
                            "scored as that host")
    assert (dev_risk.score, dev_risk.severity) == (6, Severity.HIGH)  # -2 +1 +1 +6
    assert dev_risk.reused_with == (prod.credential,)
    prod_risk = a.risk_of(prod.credential)
    assert prod_risk is not None and "reuse.wider-host" not in factor_names(prod_risk)
    other_risk = a.risk_of(other.credential)
    assert other_risk is not None and "reuse" not in factor_names(other_risk)
    assert issue.severity == max(dev_risk.severity, prod_risk.severity)


def test_hashes_are_not_reuse() -> None:
    h = "md5" + "1" * 32
    fs = [finding(h, "a", ("db.acme.io",), config(), kind=SecretKind.PASSWORD_HASH),
          finding(h, "b", ("db.acme.io",), config(), kind=SecretKind.PASSWORD_HASH)]
    assert assess_all(fs, grouped(fs), NOW).reuse == ()


def test_weak_transport() -> None:
    pw = make_password()
    fs = [finding(pw, "app", ("db.acme.io",), config(), params=(("sslmode", "verify-full"),)),
          finding(pw, "app", ("db.acme.io",), history(), params=(("sslmode", "require"),))]
    a = assess_all(fs, grouped(fs), NOW)
    (t,) = a.transport
    assert (t.credential, t.sslmode) == (fs[0].credential, "require")
    assert t.reason == ("sslmode=require encrypts but does not check the server certificate "
                        "(man-in-the-middle possible)")
    strong = finding(make_password(), "app", ("db.acme.io",), config(),
                     params=(("sslmode", "verify-full"),))
    local = finding(make_password(), "app", ("localhost",), config())
    assert assess_all([strong, local], grouped([strong, local]), NOW).transport == ()
    assert weakest_sslmode(["verify-full", None]) is None
    assert weakest_sslmode(["verify-full", "disable", "prefer"]) == "disable"
    ssl_true = finding(make_password(), "app", ("db.acme.io",), config(), params=(("ssl", "true"),))
    (t2,) = assess_all([ssl_true], grouped([ssl_true]), NOW).transport
    assert t2.sslmode == "require"


def test_order_is_highest_risk_first_and_deterministic() -> None:
    fs = [finding(make_password(), "app", ("localhost",), history()),
          finding(make_password(), "postgres", (RDS,), git()),
          finding(make_password(), "app", ("10.0.0.5",), ci())]
    creds = grouped(fs)
    a = assess_all(fs, creds, NOW)
    assert [r.credential for r in a.risks] == [fs[1].credential, fs[2].credential,
                                               fs[0].credential]
    assert assess_all(fs, list(reversed(creds)), NOW) == a


def test_explain_lists_every_factor() -> None:
    f = finding(make_password(), "postgres", (RDS,), git())
    (c,) = grouped([f])
    text = explain(c, assess(c, [f], NOW))
    lines = text.splitlines()
    assert lines[0] == (f"credential {c.id}: postgres@{RDS} (database prod, password, "
                        f"secret {c.redacted})")
    assert lines[1] == ("severity critical (score 10; critical >= 8, high >= 5, medium >= 3, "
                        "else low)")
    assert lines[3].split()[:2] == ["+4", "host.cloud"]
    assert [ln.split()[1] for ln in lines[3:]] == [
        "host.cloud", "role.privileged", "channel.git-history", "git.at-head",
        "age.within-window", "transport.weak"]
    assert f.secret not in text


def test_the_documented_reuse_example() -> None:
    """docs/rotation.md: a local password in .bash_history that also opens RDS is high."""
    pw = make_password()
    local = finding(pw, "app", ("localhost",), history())
    prod = finding(pw, "shop", (RDS,), config())
    a = assess_all([local, prod], grouped([local, prod]), NOW)
    r = a.risk_of(local.credential)
    assert r is not None
    assert [(f.name, f.effect) for f in r.factors] == [
        ("host.local", -2), ("channel.shell-history", 0), ("age.within-window", 0),
        ("reuse", 1), ("reuse.wider-host", 6)]
    assert (r.score, r.severity) == (5, Severity.HIGH)


def test_a_shared_local_default_is_not_scored_as_a_wider_host() -> None:
    """postgres:postgres on localhost, and again with no host (a CI service container):
    a test default, not a leak that opens some other server."""
    local = finding("postgres", "postgres", ("localhost",), git())
    local = replace(local, severity=Severity.LOW)  # the detector's rating of user = password
    socket = replace(finding("postgres", "postgres", (), git(path="test/ci.yml")),
                     severity=Severity.LOW)
    a = assess_all([local, socket], grouped([local, socket]), NOW)
    r = a.risk_of(local.credential)
    assert r is not None
    assert [(f.name, f.effect) for f in r.factors if f.name.startswith("reuse")] == [
        ("reuse.default", 0)]
    reason = next(f.reason for f in r.factors if f.name == "reuse.default")
    assert reason == ("the same password, equal to the user name (an image or test default), "
                      "is also used for postgres@? (unknown)")
    assert r.severity is Severity.LOW
    other = a.risk_of(socket.credential)
    assert other is not None and other.severity is Severity.LOW


def test_the_detectors_rating_bounds_the_severity_until_a_verification() -> None:
    f = replace(finding(make_password(), "postgres", (RDS,), git()), severity=Severity.INFO)
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert r.factors[2] == RiskFactor(
        "signature.info", 0,
        "the detector rates this value info (a weak or placeholder-like password)",
        cap=Severity.INFO)
    assert r.severity is Severity.INFO
    live = Verification("live", "valid", None, "2026-05-31T00:00:00+00:00")
    assert assess(c, [f], NOW, verifications=[live]).severity is Severity.HIGH
    medium = replace(f, severity=Severity.MEDIUM)
    (cm,) = grouped([medium])
    assert assess(cm, [medium], NOW).score == assess(c, [f], NOW).score - 1


def test_a_factor_is_one_function_in_the_list() -> None:
    """The model is the list of factor functions: one more function, one more listed factor,
    its effect in the score and its cap applied after the others."""

    def spread(facts: Facts) -> list[RiskFactor]:
        return [RiskFactor("spread", 2, f"seen for {facts.credential.user}", cap=Severity.HIGH)]

    f = finding(make_password(), "postgres", (RDS,), git(), params=(("sslmode", "verify-full"),))
    (c,) = grouped([f])
    plain = assess(c, [f], NOW)
    wider = assess(c, [f], NOW, factors=(*FACTORS, spread))
    assert factor_names(wider) == [*factor_names(plain), "spread"]
    assert (plain.score, plain.severity) == (9, Severity.CRITICAL)
    assert (wider.score, wider.severity) == (11, Severity.HIGH)
    assert wider.factors[-1].reason == "seen for postgres"


def test_seen_in_several_repositories_adds_one() -> None:
    pw = make_password()
    one = finding(pw, "app", ("10.0.0.5",), git(repo="/src/shop"))
    (c,) = grouped([one])
    alone = assess(c, [one], NOW)
    assert "git.repositories" not in factor_names(alone)
    places = [one, replace(one, id=FindingId("f2"), provenance=git(repo="https://git.example.org/a.git")),
              replace(one, id=FindingId("f3"), provenance=git(repo="ssh://git.example.org/b.git"))]
    (c,) = grouped(places)
    r = assess(c, places, NOW)
    assert RiskFactor("git.repositories", 1, "seen in 3 repositories: every clone of each of "
                      "them holds it") in r.factors
    assert r.score == alone.score + 1


def test_a_managed_instances_master_password_is_a_privileged_role() -> None:
    """The master user of an RDS instance holds rds_superuser whatever it is called."""
    from filescan import scan_data, shared_scanner

    secret = make_password()
    text = (
        'resource "aws_db_instance" "billing" {\n'
        '  engine   = "postgres"\n'
        '  username = "billing_admin"\n'
        f'  password = "{secret}"\n'
        "}\n"
    )
    found, _ = scan_data(shared_scanner(), "main.tf", text.encode(), path="infra/main.tf")
    (f,) = found
    assert (f.rule, f.user, f.secret) == ("pg.terraform.1", "billing_admin", secret)
    (c,) = grouped([f])
    r = assess(c, [f], NOW)
    assert r.privileged
    assert "role.privileged" in factor_names(r)
    # the same user name in a connection URI is no administrator by its name alone
    g = finding(make_password(), "billing_admin", ("pg.corp.net",), config())
    (c2,) = grouped([g])
    assert not assess(c2, [g], NOW).privileged
