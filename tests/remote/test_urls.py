"""Repository URLs: told from paths, shown without credentials, messages scrubbed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import make_password, run_cli

from pgsweep.remote import urls
from pgsweep.remote.errors import RemoteError


@pytest.mark.parametrize(("entry", "display", "secrets"), [
    ("https://github.com/acme/api.git", "https://github.com/acme/api.git", ()),
    ("https://x-access-token:ghs_abc123@github.com/acme/api.git",
     "https://github.com/acme/api.git", ("x-access-token", "ghs_abc123")),
    ("https://glpat-TOKEN9@gitlab.example.org:8443/g/sub/p.git",
     "https://gitlab.example.org:8443/g/sub/p.git", ("glpat-TOKEN9",)),
    ("HTTP://u:p%40ss@[::1]:3000/r", "http://[::1]:3000/r", ("u", "p%40ss")),
    ("ssh://git@git.example.org:2222/acme/api.git", "ssh://git.example.org:2222/acme/api.git",
     ()),
    ("ssh://deploy:hunter22@host/r.git", "ssh://host/r.git", ("hunter22",)),
    ("git@github.com:acme/api.git", "ssh://github.com/acme/api.git", ()),
    ("host.example:~/repos/api", "ssh://host.example/~/repos/api", ()),
    ("file:///srv/git/api.git", "file:///srv/git/api.git", ()),
    ("https://github.com/acme/api.git?token=abc#frag", "https://github.com/acme/api.git",
     ("token=abc", "abc", "frag")),
])
def test_parse_shows_no_credentials(entry: str, display: str, secrets: tuple[str, ...]) -> None:
    url = urls.parse(entry)
    assert (url.clone, url.display, url.secrets) == (entry, display, secrets)
    assert urls.is_remote(entry)


@pytest.mark.parametrize("entry", ["/srv/git/api", "repos/api", "./a:b", "C:/x", "api.git",
                                   "-oProxyCommand:x", "-u@host:x"])
def test_paths_are_not_urls(entry: str) -> None:
    assert not urls.is_remote(entry)


@pytest.mark.parametrize(("entry", "message"), [
    ("ftp://u:tok@example.org/r", "ftp://example.org/r: unsupported URL scheme 'ftp' "
     "(use https, http, ssh, git, file)"),
    ("ext::sh -c 'id'", None),
    ("https://u:tok@/r", "https:///r: no host in the URL"),
    ("https://u:tok@h:99999/r", "https://h:99999/r: bad port in the URL"),
    ("ssh://-oProxyCommand=x/r", "ssh://-oProxyCommand=x/r: a host or user name may not start "
     "with '-'"),
])
def test_bad_urls_name_no_credential(entry: str, message: str | None) -> None:
    if message is None:
        assert not urls.is_remote(entry)
        return
    with pytest.raises(RemoteError) as exc:
        urls.parse(entry)
    assert str(exc.value) == message


def test_scrub_removes_userinfo_and_named_secrets() -> None:
    text = ("fatal: unable to access 'https://ci:s3cr3t-tok@git.example.org/a.git/': 403; "
            "retrying with s3cr3t-tok and ssh://me@h/x")
    assert urls.scrub(text, ("s3cr3t-tok",)) == (
        "fatal: unable to access 'https://git.example.org/a.git/': 403; "
        "retrying with *** and ssh://h/x")


def test_mirror_names_are_distinct_and_tame() -> None:
    a = urls.mirror_name("https://github.com/acme/api.git")
    b = urls.mirror_name("https://github.com/acme/api")
    assert a != b
    assert a.startswith("github.com_acme_api.git-") and a.endswith(".git")
    assert "/" not in urls.mirror_name("file:///../../etc")


def test_a_token_in_the_query_is_kept_out_of_git_s_error(tmp_path: Path) -> None:
    """git names the URL it could not reach, query and all: the token in it is masked."""
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = make_password(24)
    url = f"http://127.0.0.1:{port}/acme/api.git"
    res = run_cli("scan", f"{url}?access_token={token}", "--no-store", "-f", "json",
                  "--cache-dir", str(tmp_path / "cache"))
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr.startswith(
        f"pgsweep: error: {url}: cannot mirror (fatal: unable to access '{url}?***/': ")
    assert res.stderr.count("\n") == 1
    assert token[:6] not in res.stdout + res.stderr
