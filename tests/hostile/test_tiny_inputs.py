"""Small inputs that once made a scan hang: each finishes, with the findings around it kept.

Each case is the real reader and detector path (`scan_data`) under a hang alarm; none of
them asserts a speed. Sizes are chosen so that a superlinear regex or parser on the same
input runs for minutes, while the linear code needs well under 2 s.
"""

from __future__ import annotations

import pytest
from conftest import make_password
from filescan import Row, row, scan_data
from hang import no_hang

from pgsweep.core.models import Severity
from pgsweep.detectors import signatures
from pgsweep.findings.pipeline import Scanner

SCANNER = Scanner(signatures.load())
K = 512 * 1024
# Generated per run: a fixture never holds a real-looking secret at rest.
PASSWORD, URI_PASSWORD, FDW_PASSWORD, COMPOSE_PASSWORD = (make_password() for _ in range(4))
TAIL = f"\nPGPASSWORD={PASSWORD} psql -h db.corp.net -U app -d prod\n".encode()
VERIFIER = (
    b"SCRAM-SHA-256$4096:mk+SEmGlN08KO13IN0rWQA==$HTugFBIkq+sf7I6Xfg2xpHzm3tIh+twrqSqr6335Ttw="
    b":fz2XG/oZFE9dmHv0Ev0oqFMgPEXZWwsG2m3D0EP1R8A="
)


def tail_row(path: str, line: int) -> Row:
    if path.endswith(".env"):  # a .env line's value is the rest of the line
        return Row(path, line, None, None, f"{PASSWORD} psql -h db.corp.net -U app -d prod")
    return Row(path, line, "app", "db.corp.net", PASSWORD, "prod")


CASES: dict[str, tuple[str, bytes]] = {
    # pg.sql.1: `''` read as one quote or as two strings, 2^32 ways
    "sql-role-quotes": ("init.sql", b"CREATE ROLE x " + b"''" * 32 + b"; password 'y'" + TAIL),
    # pg.sql.1: every CREATE ROLE runs on to the window's end looking for PASSWORD
    "sql-role-starts": ("init.sql", b"CREATE ROLE x " * (K // 14) + b"password 'y'" + TAIL),
    # pg.sql.2 and its parser's CREATE SERVER search: each start runs to the next `;`
    "sql-servers": ("fdw.sql", b"CREATE SERVER x " * (K // 16) + "\nCREATE USER MAPPING FOR a "
                    f"SERVER x OPTIONS (user 'u', password '{FDW_PASSWORD}');".encode() + TAIL),
    # decoders: `^\s*` of the Secret test ran over every following empty line, per line
    "secret-newlines": ("secret.yaml", b"Secret data" + b"\n" * 80_000 + TAIL),
    # pg.sql_hash.1/2: a role name tried from every letter of a long word
    "scram-long-word": ("dump.txt", b"a" * K + b" " + VERIFIER + TAIL),
    "md5-long-word": ("dump.txt", b"a" * K + b"|md559d0e36b585f9797d57227922c5999e7" + TAIL),
    # pg.jdbc.2: a lazy value and trailing blanks tried at every length
    "jdbc-blanks": ("app.properties", b"url=jdbc:postgresql://db.corp.net/app\npassword=a"
                    + b" " * K + b"b" + TAIL),
    # pg.helm.1/2: `--set` items searched again from every `--set`
    "helm-set-runs": ("deploy.sh", b"helm install --set=" + b"--set=" * (K // 6)
                      + b" postgresPassword" + TAIL),
    "helm-set-items": ("deploy.sh", b"helm install bitnami/postgresql --set "
                       + b"a," * (K // 2) + b"x" + TAIL),
    # pg.adonet.1: every pair of a long line read back over the whole window
    "adonet-pairs": ("app.config", b"Host=pg.corp.net;" + b"Password=Xy-81;" * (K // 15) + TAIL),
    # uri.trim / jdbc: one count of the brackets per stripped character
    "uri-parens": ("notes.txt", f"postgres://app:{URI_PASSWORD}@db.corp.net/".encode()
                   + b")" * K + TAIL),
    "jdbc-braces": ("notes.txt", f"jdbc:postgresql://db.corp.net/app?password={URI_PASSWORD}"
                    .encode() + b"}" * K + TAIL),
    # parsers read the window merged from every hit: with a hit on every line, each
    # match cost a pass over the whole file
    "env-lines": ("run.sh", b"PGPASSWORD=x\n" * (K // 26) + TAIL),
    "dotenv-lines": (".env", b"DB_PASSWORD=x\n" * (K // 28) + TAIL),
    "rails-lines": ("database.yml", b"production:\n  adapter: postgresql\n"
                    + b"  password: x\n" * (K // 28) + TAIL),
    # pg.dsn.1: each `password=x` of a line whose pairs a CR separates read the rest of
    # its line again for another driver's keys
    "dsn-cr-pairs": ("notes.txt", (b"password=x\r" * (32 * 1024 // 11) + b"\n") * 16 + TAIL),
    # pg.helm.2 (parser nearby): each `--set …Password=x` of a long line looked for its
    # user, host, port and database over the whole line
    "helm-set-passwords": ("deploy.sh", (b"--set postgresqlPassword=x " * (32 * 1024 // 27)
                                         + b"\n") * 16 + TAIL),
    # pg.env.1: each `PGPASSWORD=x` of a long line searched the rest of it (and two lines
    # more) for a psql command, and the whole line for PGUSER, PGHOST, …
    "env-long-lines": ("run.sh", (b"PGPASSWORD=x " * (32 * 1024 // 13) + b"\n") * 16 + TAIL),
    # pg.node.1 (parser nearby): each pool of a long line searched the whole line for
    # what names PostgreSQL
    "node-long-lines": ("db.js", (b"new Pool({password:'x',host:'h'}) " * (32 * 1024 // 35)
                                  + b"\n") * 16 + TAIL),
    # pg.dsn.1: each `\"password=x\"` of a long line read on to the end of the line for
    # the code string around it, one character at a time
    "escaped-dsn-strings": ("config.json", (b'\\"password=x\\" ' * (32 * 1024 // 15)
                                            + b"\n") * 8 + TAIL),
    # pg.node.1: an unclosed object searched for `password:` from every constructor
    "node-braces": ("db.js", b"const pg = require('pg')\n" + b"new Pool({{a}" * (K // 12) + TAIL),
}


def lines(data: bytes) -> int:
    return data.count(b"\n") + 1


EXPECTED: dict[str, list[Row]] = {
    "sql-servers": [Row("/data/fdw.sql", 2, "u", None, FDW_PASSWORD)],
    "scram-long-word": [Row("/data/dump.txt", 1, None, None, VERIFIER.decode())],
    "uri-parens": [Row("/data/notes.txt", 1, "app", "db.corp.net", URI_PASSWORD)],
    "jdbc-braces": [Row("/data/notes.txt", 1, None, "db.corp.net", URI_PASSWORD, "app")],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_finishes_with_its_findings(name: str) -> None:
    filename, data = CASES[name]
    with no_hang(name):
        found, stats = scan_data(SCANNER, filename, data)
    path = f"/data/{filename}"
    expected = [*EXPECTED.get(name, []), tail_row(path, lines(data) - 1)]
    # the one-letter fillers (`x`, `y`, `a`) are weak values: kept at info, or reported
    # with a real host found beside them; only the planted passwords are asserted here
    kept = [f for f in found if f.severity > Severity.INFO and len(f.secret) > 1]
    assert sorted(map(row, kept), key=lambda r: r.line) == expected
    assert not stats.skipped


ALIAS_BOMB = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
COMPOSE = f"""\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: {COMPOSE_PASSWORD}
      POSTGRES_DB: shop
""".encode()


def test_yaml_alias_bomb_is_a_counted_skip() -> None:
    """A document whose aliases expand beyond its walk budget is skipped with a reason;
    the other documents of the file keep their findings."""
    with no_hang("alias bomb"):
        found, stats = scan_data(SCANNER, "compose.yaml", ALIAS_BOMB + b"---\n" + COMPOSE)
    assert sorted(map(row, found), key=lambda r: r.line) == [
        Row("/data/compose.yaml", 16, "app", "db", COMPOSE_PASSWORD, "shop"),
    ]
    reason = "yaml: aliases expand beyond the walk budget; its text is scanned as is"
    assert stats.skipped == {reason: 1}
    assert stats.warnings == [f"/data/compose.yaml (YAML document 1): {reason}"]


def test_yaml_aliases_within_budget_are_walked() -> None:
    """Ordinary anchors and merge keys stay well inside the budget."""
    text = f"""\
x-env: &env
  POSTGRES_USER: app
  POSTGRES_PASSWORD: {COMPOSE_PASSWORD}
services:
  db:
    image: postgres:16
    environment: *env
  replica:
    image: postgres:16
    environment:
      <<: *env
""".encode()
    found, stats = scan_data(SCANNER, "compose.yaml", text)
    assert not stats.skipped
    assert list(map(row, found)) == [
        Row("/data/compose.yaml", 3, "app", None, COMPOSE_PASSWORD),
    ]
