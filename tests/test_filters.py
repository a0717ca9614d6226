"""The false-positive predicates, one value at a time."""

from __future__ import annotations

import pytest

from pgsweep.core.models import Candidate, ParsedCredential, RuleId, Severity
from pgsweep.detectors import filters, host_names


def cand(password: str | None, user: str | None = None, line: str = "") -> Candidate:
    return Candidate(
        rule=RuleId("pg.test.1"),
        parsed=ParsedCredential(password=password, user=user),
        start=0,
        end=1,
        line=1,
        severity=Severity.HIGH,
        line_text=line,
    )


@pytest.mark.parametrize(
    "value",
    [
        "${DB_PASSWORD}",
        "${DB_PASSWORD:?unset}",
        "$PGPASSWORD",
        "$(cat /run/secrets/pg)",
        "`cat pw`",
        "%DB_PASSWORD%",
        "%s",
        "%(password)s",
        "%1$s",
        "{}",
        "{0}",
        "?",
        ":password",
        "{{ .Values.db.password }}",
        "{{password}}",
        "{% raw %}x{% endraw %}",
        "{password}",
        "ALTER ROLE app PASSWORD E{!r};",
        "{0:>12}",
        "{self.password}",
        "{pw",
        "{pw[",
        "{base64.b64encode(pw).decode()}",
        "<password>",
        "<your-db-password>",
        "[password]",
        '<%= ENV["DB_PASSWORD"] %>',
        "#{db_password}",
        "#{connection[",
        "env(DB_PASSWORD)",
        "ENV['PW']",
        "os.environ['PW']",
        "process.env.PW",
        "getenv(PW)",
        "var.db_password",
        "random_password.db.result",
        "$env:PGPASSWORD",
        "$${PW}",
        "@db.password@",
        "__DB_PASSWORD__",
        "${{ secrets.PG }}",
        "((db_password))",
        "generate_random_string(",
        "self.configuration.get",
        'credentials["DbPassword"]',
        "credentials[DbPassword]",
        ".*/POSTGRES_PASSWORD=$POSTGRES_PASSWORD/g",
        "$POSTGRES_PASSWORD/g",
        '"$POSTGRES_PASSWORD"',
        "'${PGPASS}'",
        "/tmp/pgpass0",
        "~/.pgpass",
        "op://Environments/My App/POSTGRES_PASSWORD",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/pg-AbCdEf",
        "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
        "@Microsoft.KeyVault(SecretUri=https://kv-app.vault.azure.net/secrets/pg/)",
        "projects/acme-prod/secrets/pg-password/versions/latest",
        "' + password + '",
        '\\"{pw}\\"\\n',
        "'{pw}—'",
        "x{self.pw}y",
        "{pw!r}",
        '" + pw',
        'pw + "',
        "+ password",
    ],
)
def test_template_references(value: str) -> None:
    assert filters.is_template_reference(cand(value)), value


@pytest.mark.parametrize(
    "value",
    [
        "Xq9-mm2Lp",
        "p@ss",
        "a+b",
        "50%off",
        "it's",
        "S3cr3t$",
        "{1notclosed",
        "<3love",
        "C:\\x",
        "dollar$sign",
        "a{1}c",
        "{-x",
        "secret-Xk9",
        "[brackets]9",
        "op:/Xk9-Lm2",
        '"$ecret9"x',
        "/srv/Xq9-pw",
        "arn-Xq9-Lm2",
        "projects/Xq9",
    ],
)
def test_real_values_are_not_templates(value: str) -> None:
    assert not filters.is_template_reference(cand(value)), value


@pytest.mark.parametrize(
    "value",
    [
        "***",
        "********",
        "••••",
        "xxxxx",
        "XXXX",
        "[MASKED]",
        "[REDACTED]",
        "REDACTED",
        "<redacted>",
        "[FILTERED]",
        "[SECRET]",
        "<SECRET>",
        "(hidden)",
        "...",
        "…",
        "ab***yz",
        "000000",
    ],
)
def test_masks(value: str) -> None:
    assert filters.is_masked(cand(value)), value


@pytest.mark.parametrize("value", ["x1", "Xk9**", "pass*word", "xx", "secret", "SECRET"])
def test_not_masks(value: str) -> None:
    assert not filters.is_masked(cand(value)), value


@pytest.mark.parametrize(
    "value",
    [
        "password",
        "PASSWORD",
        "your_password",
        "changeme",
        "secret",
        "pass",
        "example",
        "db_password",
        "POSTGRES_PASSWORD",
        "#password",
        "~secret~",
        "your-secret-here",
        "my db password",
        "mysecretpassword",
        "'changeme'",
        "changethis",
        "notarealpass",
        "passwort",
        "contraseña",
        "parola_segreta",
        "пароль",
        "postgres_password",
        "dbpassword",
        "db-pass",
        "app_secret",
        "TU_PASSWORD_AQUI",
        "TU_PASSWORD_RAILWAY",
        "PROD_DB_PASSWORD",
        "YOUR_SECRET_KEY",
        "prod_super_secure_password_from_vault",
        "very-long-random-password",
        "customPassword",
    ],
)
def test_placeholders(value: str) -> None:
    assert filters.is_placeholder(cand(value)), value


@pytest.mark.parametrize(
    "value",
    ["Pa55-Word-91", "password2024!", "hunter7-Xq", "correct horse 7", "compassion", "bypass",
     "Xk9z", "a-bc-d", "PASS_A", "PASSWORD_2024", "Secret_Sauce"],
)
def test_real_passwords_are_not_placeholders(value: str) -> None:
    assert not filters.is_placeholder(cand(value)), value


@pytest.mark.parametrize(
    "value",
    ["123456", "test", "tiger", "mypass", "pw", "foobar", "d", "top secret", "pass_A",
     "testpassword", "s3cr3t", "hunter2"],
)
def test_weak_values_are_weak_not_placeholders(value: str) -> None:
    assert filters.is_weak(cand(value)), value
    assert not filters.is_placeholder(cand(value)), value


def cand_at(password: str, *hosts: str) -> Candidate:
    return Candidate(rule=RuleId("pg.test.1"), parsed=ParsedCredential(
        password=password, user="app", hosts=hosts), start=0, end=1, line=1,
        severity=Severity.HIGH)


@pytest.mark.parametrize(
    ("password", "hosts", "reason"),
    [
        ("changeme", ("db.corp.net",), "placeholder"),
        ("123456", ("localhost",), "weak-on-local-host"),
        ("test", (), "weak-on-local-host"),
        ("tiger", ("db.example.com",), "weak-on-local-host"),
        ("123456", ("db.corp.net",), None),
        ("Xq9-mm2Lp", ("ACTUAL-HOSTNAME-FROM-SUPABASE",), "placeholder-host"),
        ("Xq9-mm2Lp", ("<host>",), "placeholder-host"),
        ("Xq9-mm2Lp", ("your-host",), "placeholder-host"),
        ("Xq9-mm2Lp", ("TU.IP.DEL.VPS",), "placeholder-host"),
        ("Xq9-mm2Lp", ("SEU_HOST",), "placeholder-host"),
        ("Xq9-mm2Lp", ("tu.servidor.es",), None),
        ("Xq9-mm2Lp", ("{DB_HOST}",), None),
        ("Xq9-mm2Lp", ("DB_HOST",), None),
        ("Xq9-mm2Lp", ("localhost",), None),
        ("Xq9-mm2Lp", ("PG-PROD-01",), None),
        # guessable values (zxcvbn) are weak: info with no host, a host left to code, a
        # documentation address or name, or a host list of local names; real elsewhere
        ("q1w2e3", (), "weak-on-local-host"),
        ("pizza", ("2001:db8::1",), "weak-on-local-host"),
        ("bar", ("#{host}",), "weak-on-local-host"),
        ("ssap", ("%s",), "weak-on-local-host"),
        ("asdf", ("localhost,localhost",), "weak-on-local-host"),
        ("asf", ("localhost", "invalid"), "weak-on-local-host"),
        ("1234", ("asldkfjasdf!!#1308140.com",), "weak-on-local-host"),
        ("tiger", ("127.0.0.1&amp",), "weak-on-local-host"),
        # single-label names only a local network resolves (compose services, CI service
        # containers, /etc/hosts): weak values there are info, strong ones keep severity
        ("tiger", ("appdb",), "weak-on-local-host"),
        ("qwerty", ("pg14",), "weak-on-local-host"),
        ("test", ("yo", "postgres-primary"), "weak-on-local-host"),
        ("test", ("localhost,pg_replica",), "weak-on-local-host"),
        ("test", ("pg14", "db.corp.net"), None),
        ("test", ("2130706433",), None),
        ("test", ("0x7f000001",), None),
        ("test", ("pg14:5432x",), None),
        ("Xq9-mm2Lp", ("pg14",), None),
        ("q1w2e3", ("db.corp.net",), None),
        ("pizza", ("192.168.0.199",), None),
        # link-local addresses: only the local link reaches them
        ("p", ("::1", "fe80::1%eth0"), "weak-on-local-host"),
        ("tiger", ("169.254.10.2",), "weak-on-local-host"),
        ("tiger", ("fe90::1",), "weak-on-local-host"),
        ("tiger", ("fec0::1",), None),
        ("Kx81-mmQz", ("fe80::1",), None),
        ("Kx81-mmQz", (), None),
        ("Kx81-mmQz", ("#{host}",), None),
        ("Kx81-mmQz", ("2001:db8::1",), None),
    ],
)
def test_info_reason(password: str, hosts: tuple[str, ...], reason: str | None) -> None:
    assert filters.info_reason(cand_at(password, *hosts)) == reason


@pytest.mark.parametrize("value", ["$3", "$@", "base64.b64decode", "base64.b64decode(os.environ[",
                                   "os.getenv(", "${X}"])
def test_code_and_positional_references_are_templates(value: str) -> None:
    assert filters.is_template_reference(cand(value)), value


@pytest.mark.parametrize("value", ["hq<Tw8>e3K", "Zx{41}qP-w", "summer.2024", "k9>Rm{2vQ"])
def test_brackets_inside_a_value_are_not_templates(value: str) -> None:
    assert not filters.is_template_reference(cand(value)), value


def test_user_equal_to_password_for_generic_users() -> None:
    assert filters.is_placeholder(cand("admin", user="admin"))
    assert not filters.is_placeholder(cand("orders", user="orders"))


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty(value: str | None) -> None:
    assert filters.is_empty(cand(value))


@pytest.mark.parametrize(
    ("line", "ignored"),
    [
        ("url = 'postgres://...'  # pgsweep:ignore", True),
        ("pw: x  # pragma: allowlist secret", True),
        ("pw: x  # gitleaks:allow", True),
        ("pw: x", False),
    ],
)
def test_inline_ignore(line: str, ignored: bool) -> None:
    assert filters.is_inline_ignored(cand("Xq9", line=line)) is ignored


def test_suppression_reason_names_the_first_filter() -> None:
    assert filters.suppression_reason(cand("${X}")) == "template"
    assert filters.suppression_reason(cand("***")) == "masked"
    assert filters.suppression_reason(cand("changeme")) is None
    assert filters.info_reason(cand("changeme")) == "placeholder"
    assert filters.suppression_reason(cand("")) == "empty"
    assert filters.suppression_reason(cand("Xq9-mm2Lp")) is None


@pytest.mark.parametrize(
    ("hosts", "local"),
    [
        (("localhost",), True),
        (("127.0.0.1", "::1"), True),
        (("[::1]",), True),
        (("/var/run/postgresql",), True),
        (("db",), True),
        (("host.docker.internal",), True),
        (("db.example.com",), True),
        (("h", "h2"), True),
        (("hostname",), True),
        (("somehost", "db.example.org"), True),
        (("pghost10", "host2", "H:P"), True),
        (("localhost,::1",), True),
        (("192.0.2.10", "198.51.100.7", "203.0.113.9", "[2001:db8::5]"), True),
        (("invalid", "test", "example", "local"), True),
        (("asldkfjasdf!!#1308140.com",), True),
        (("database=test&host=127.0.0.1",), True),
        (("127.0.0.1", "db.corp.net"), False),
        (("localhost,db.corp.net",), False),
        (("10.0.0.5",), False),
        (("192.0.3.1", "2001:db9::1", "fe80::1%eth0"), False),
        (("#{host}",), False),
        (("${DB_HOST}",), False),
        ((), False),
    ],
)
def test_local_only(hosts: tuple[str, ...], local: bool) -> None:
    assert host_names.is_local_only(hosts) is local


def test_user_as_password() -> None:
    assert filters.is_user_as_password("postgres", "postgres")
    assert not filters.is_user_as_password("app", "other")
    assert not filters.is_user_as_password(None, "x")


def test_placeholder_with_trailing_punctuation() -> None:
    assert filters.is_placeholder(cand("secret!"))
    assert filters.is_placeholder(cand("secretpassword!!"))
    assert not filters.is_placeholder(cand("secret!x"))


@pytest.mark.parametrize("value", ["hunter2", "p", "x1", "PS"])
def test_one_and_two_letter_stand_ins_are_weak(value: str) -> None:
    assert filters.is_weak(cand(value)), value


@pytest.mark.parametrize("value", ["\\", "?!", "a'b", "a\\b:c", "a\\\\b:c"])
def test_escape_test_values_are_placeholders(value: str) -> None:
    assert filters.is_placeholder(cand(value)), value


def test_a_password_cut_at_an_at_sign_is_not_a_stand_in() -> None:
    # postgres://app:p@ss@db.example.com/x: libpq sends `p`; the rest went into the host
    c = Candidate(rule=RuleId("pg.uri.1"), parsed=ParsedCredential(
        password="p", user="app", hosts=("ss@db.corp.net",)), start=0, end=1, line=1,
        severity=Severity.HIGH)
    assert not filters.is_weak(c)


def test_md5_verifier_of_a_placeholder() -> None:
    import hashlib

    verifier = "md5" + hashlib.md5(b"secretbob").hexdigest()
    assert filters.is_placeholder(cand(verifier, user="bob"))
    assert not filters.is_placeholder(cand(verifier, user="alice"))
    other = "md5" + hashlib.md5(b"Xq9-mm2Lp" + b"bob").hexdigest()
    assert not filters.is_placeholder(cand(other, user="bob"))


@pytest.mark.parametrize(
    ("value", "guessable"),
    [
        ("q1w2e3", True),  # a keyboard walk
        ("pizza", True),  # a dictionary word
        ("ssap", True),  # a reversed one
        ("original", True),
        ("hunter22", True),
        ("", False),
        ("Kx81-mmQz", False),
        ("test4scram", False),
        ("uaZoSSHgi7mVM7kYaROtusClKu", False),
        ("password" * 4, False),  # past the length judged: never weak by estimate
    ],
)
def test_guessable(value: str, guessable: bool) -> None:
    assert filters.is_guessable(value) is guessable


def test_a_name_the_line_calls_is_code() -> None:
    """`postgres_password=generate_random_string(` over several lines: a call in code."""
    line = "            postgres_password=generate_random_string("
    assert filters.is_template_reference(cand("generate_random_string", line=line))
    token = cand("secrets.token_hex", line="pw = secrets.token_hex(9)")
    assert filters.is_template_reference(token)
    assert not filters.is_template_reference(cand("hunter2", line="PGPASSWORD=hunter2 psql"))
    assert not filters.is_template_reference(cand("abc", line="PGPASSWORD=abc; run(abcd(1))"))


def test_a_password_equal_to_its_user_or_database_is_a_default() -> None:
    assert filters.is_name_as_password(ParsedCredential(password="shop", database="shop"))
    assert filters.is_name_as_password(ParsedCredential(password="app", user="app"))
    assert not filters.is_name_as_password(ParsedCredential(password="Xq9-Lm2", database="shop"))
    assert not filters.is_name_as_password(ParsedCredential(password="shop"))
