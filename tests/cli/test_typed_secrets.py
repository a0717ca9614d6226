"""A password the user types as an argument never comes back in a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo

from pgsweep.cli.typed_secrets import MASK, secrets_in


def test_the_passwords_an_argument_holds() -> None:
    assert secrets_in(["scan", "--since", "postgres://app:Pw%40x9@db/app", "-q"]) == (
        "Pw%40x9", "Pw@x9")
    assert secrets_in(["--dsn", "host=db password='Kq9-x' user=u", "PGPASSWORD=Zz77"]) == (
        "Kq9-x", "Zz77")
    assert secrets_in(["scan", ".", "--format", "json", "https://github.com/a/b"]) == ()


@pytest.mark.parametrize("where", [
    pytest.param(["--since", "{uri}"], id="a revision"),
    pytest.param(["--format", "{uri}"], id="a usage error"),
    pytest.param(["--format", "host=db password={pw}"], id="a conninfo"),
])
def test_a_typed_password_is_masked_in_every_message(tmp_path: Path, where: list[str]) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("README", "hello\n")
    repo.commit("start", "README")
    pw = make_password()
    args = [a.format(uri=f"postgres://app:{pw}@db.acme-prod.io/app", pw=pw) for a in where]
    done = run_cli("scan", str(repo.root), "--no-store", *args)
    assert done.returncode == 2
    assert pw not in done.stderr + done.stdout
    assert MASK in done.stderr
