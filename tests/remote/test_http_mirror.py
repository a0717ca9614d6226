"""Remote repositories over a real git smart-HTTP server that wants a token: mirrored with
the token from GIT_ASKPASS, a credential helper or the URL, fetched with --prune next time,
scanned incrementally; the token never shows in any output, the store or the cache."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_password, run_cli
from githttp import git_http_server
from gitrepo import GitRepo, uri

KEY = "remote-test-key-0123456789abcdef"


@pytest.fixture
def served(tmp_path: Path, password: str) -> Iterator[tuple[str, str, GitRepo, list[str]]]:
    """A bare repository `acme/api.git` served over http with a token; its `main` holds a
    leaked password and a `pull/1/head` ref another one."""
    work = GitRepo(tmp_path / "work")
    work.write(".env", f"DATABASE_URL={uri('app', password)}\n")
    work.commit("settings")
    work.git("checkout", "-q", "-b", "feature")
    work.write("deploy.sh", f"psql '{uri('deploy', password, host='db2.acme-corp.net')}'\n")
    work.commit("deploy")
    work.git("checkout", "-q", "main")
    bare = tmp_path / "srv" / "acme" / "api.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work.root), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "update-ref", "refs/pull/1/head", "feature"],
                   check=True)
    subprocess.run(["git", "-C", str(bare), "branch", "-q", "-D", "feature"], check=True)
    token = "tok_" + make_password(24)
    with git_http_server(tmp_path / "srv", token) as (base, seen):
        yield f"{base}/acme/api.git", token, work, seen


def git_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "PGSWEEP_STORE_KEY": KEY,
            "PGSWEEP_CACHE_DIR": str(tmp_path / "cache"), **extra}


def askpass(tmp_path: Path, token: str) -> str:
    script = tmp_path / "askpass.sh"
    script.write_text(f'#!/bin/sh\ncase "$1" in Username*) echo ci ;; *) echo {token} ;; esac\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def scan_url(tmp_path: Path, url: str, env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    done = run_cli("scan", url, "-f", "json", "--no-progress",
                   "--store", str(tmp_path / "store.db"), env=env)
    return done.returncode, json.loads(done.stdout or "{}"), done.stderr


def no_token_anywhere(tmp_path: Path, token: str, *texts: str) -> None:
    for text in texts:
        assert token not in text
    for root in (tmp_path / "cache", tmp_path / "store.db"):
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            assert token.encode() not in f.read_bytes(), f


def places(doc: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return sorted((f["provenance"]["repo"], f["path"], f["line"], f["user"])
                  for f in doc["findings"])


def test_askpass_token_mirror_and_incremental_fetch(
    tmp_path: Path, served: tuple[str, str, GitRepo, list[str]], password: str
) -> None:
    url, token, work, _seen = served
    env = git_env(tmp_path, GIT_ASKPASS=askpass(tmp_path, token))
    rc, doc, err = scan_url(tmp_path, url, env)
    assert rc == 1, err
    assert places(doc) == [(url, ".env", 1, "app"), (url, "deploy.sh", 1, "deploy")]
    assert doc["scanned"] == [url]
    mirror = next((tmp_path / "cache").glob("*.git"))
    config = (mirror / "config").read_text()
    assert f"url = {url}" in config
    # a new commit on the server: the next scan fetches it and reads only what is new
    bare = tmp_path / "srv" / "acme" / "api.git"
    work.write("later.env", f"DATABASE_URL={uri('late', make_password())}\n")
    work.commit("later")
    subprocess.run(["git", "-C", str(work.root), "push", "-q", str(bare), "main"], check=True)
    subprocess.run(["git", "-C", str(bare), "update-ref", "-d", "refs/pull/1/head"], check=True)
    rc, again, err = scan_url(tmp_path, url, env)
    assert rc == 1, err
    assert again["stats"]["blobs"] == 1
    assert places(again) == [(url, ".env", 1, "app"), (url, "deploy.sh", 1, "deploy"),
                             (url, "later.env", 1, "late")]
    refs = subprocess.run(["git", "-C", str(mirror), "for-each-ref", "--format=%(refname)"],
                          capture_output=True, text=True, check=True).stdout.split()
    assert refs == ["refs/heads/main"]  # the pull-request ref was pruned
    no_token_anywhere(tmp_path, token, json.dumps(doc), err, json.dumps(again))
    assert password not in json.dumps(doc) + json.dumps(again) + err


def test_token_in_url_and_credential_helper(
    tmp_path: Path, served: tuple[str, str, GitRepo, list[str]]
) -> None:
    url, token, _work, _seen = served
    # the token written into the URL works, and is shown and stored nowhere
    with_token = url.replace("http://", f"http://ci:{token}@")
    listing = tmp_path / "repos.txt"
    listing.write_text(with_token + "\n")
    done = run_cli("audit", "--repos", str(listing), "-f", "sarif", "--no-progress",
                   "--store", str(tmp_path / "store.db"), env=git_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert f'"repository": "{url}"' in done.stdout
    mirror = next((tmp_path / "cache").glob("*.git"))
    assert f"url = {url}\n" in (mirror / "config").read_text()
    # a credential helper answers for the same repository's next fetch
    helper = f"!f() {{ echo username=ci; echo password={token}; }}; f"
    env = git_env(tmp_path, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="credential.helper",
                  GIT_CONFIG_VALUE_0=helper)
    rc, doc, err = scan_url(tmp_path, url, env)
    assert rc == 1, err
    assert places(doc)[0] == (url, ".env", 1, "app")
    no_token_anywhere(tmp_path, token, done.stdout, done.stderr, err, json.dumps(doc))
    # without any credential the fetch fails, in one line; what the store holds is reported
    rc, doc, err = scan_url(tmp_path, url, git_env(tmp_path))
    assert rc == 1
    assert doc["complete"] is False
    assert places(doc)[0] == (url, ".env", 1, "app")
    assert doc["stats"]["incomplete"] == [
        f"{url}: cannot mirror (fatal: could not read Username for 'http://127.0.0.1:"
        f"{url.split(':')[2].split('/')[0]}': terminal prompts disabled)"]


def test_wrong_token_is_one_line_without_it(
    tmp_path: Path, served: tuple[str, str, GitRepo, list[str]]
) -> None:
    url, _token, _work, _seen = served
    wrong = "bad_" + make_password(20)
    listing = tmp_path / "repos.txt"
    listing.write_text(url.replace("http://", f"http://ci:{wrong}@") + "\n")
    done = run_cli("audit", "--repos", str(listing), "-f", "json", "--no-progress",
                   "--store", str(tmp_path / "store.db"), env=git_env(tmp_path))
    assert done.returncode == 2
    doc = json.loads(done.stdout)
    assert doc["stats"]["incomplete"] == [
        f"{url}: cannot mirror (fatal: Authentication failed for '{url}/')"]
    assert wrong not in done.stdout + done.stderr
    no_token_anywhere(tmp_path, wrong)
    assert not list((tmp_path / "cache").glob("*.git"))
