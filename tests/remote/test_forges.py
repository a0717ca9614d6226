"""Listing GitHub organisations and users and GitLab groups through a local stand-in for
their REST endpoints: pagination, rate limits as documented, filters, the token sent only
in its header, and the listed repositories audited."""

from __future__ import annotations

import json
import time
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from conftest import make_password, run_cli
from forgeapi import Answer, forge_api
from gitrepo import GitRepo, uri

from pgsweep.remote.api import rate_limit_wait

KEY = "forge-test-key-0123456789abcdef"


def headers(**values: str) -> Message:
    m = Message()
    for k, v in values.items():
        m[k.replace("_", "-")] = v
    return m


@pytest.mark.parametrize(("status", "given", "wait"), [
    (403, {"Retry-After": "7"}, 7.0),
    (429, {"Retry-After": "0"}, 0.0),
    (403, {"x_ratelimit_remaining": "0", "x_ratelimit_reset": "1030"}, 31.0),
    (429, {"x_ratelimit_remaining": "0", "x_ratelimit_reset": "990"}, 1.0),
    (429, {}, 60.0),
    (403, {"x_ratelimit_remaining": "12"}, None),  # a plain 403: no access, not a limit
    (404, {"Retry-After": "5"}, None),
])
def test_rate_limit_waits_as_documented(status: int, given: dict[str, str],
                                        wait: float | None) -> None:
    assert rate_limit_wait(status, headers(**given), now=1000.0) == wait


def leaky_repos(root: Path) -> dict[str, Path]:
    out = {}
    for name in ("api", "web", "old", "forked"):
        repo = GitRepo(root / name)
        repo.write("app.env", f"DATABASE_URL={uri(name, make_password())}\n")
        repo.commit("settings")
        out[name] = repo.root
    return out


def github_item(
    name: str, path: Path, fork: bool = False, archived: bool = False
) -> dict[str, Any]:
    return {"full_name": f"acme/{name}", "name": name, "clone_url": f"file://{path}",
            "fork": fork, "archived": archived, "private": True}


def audit(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    done = run_cli("audit", *args, "-f", "json", "--no-progress",
                   "--store", str(tmp_path / "store.db"), "--cache-dir", str(tmp_path / "cache"),
                   env={"PGSWEEP_STORE_KEY": KEY, **env})
    return done.returncode, json.loads(done.stdout or "{}"), done.stderr


def repositories(doc: dict[str, Any]) -> list[str]:
    return sorted({f["repository"] for f in doc["findings"]})


def test_github_org_pages_rate_limit_and_filters(tmp_path: Path) -> None:
    repos = leaky_repos(tmp_path / "srv")
    token = "ghp_" + make_password(30)
    first = "/orgs/acme/repos?per_page=100&type=all"
    second = "/orgs/acme/repos?per_page=100&type=all&page=2"
    answers = {
        first: [
            Answer(403, {"message": "API rate limit exceeded"},
                   {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))}),
            Answer(200, [github_item("api", repos["api"]), github_item("web", repos["web"])],
                   {"Link": f'<{{base}}{second}>; rel="next", <{{base}}{second}>; rel="last"'}),
        ],
        second: [
            Answer(429, {"message": "secondary rate limit"}, {"Retry-After": "0"}),
            Answer(200, [github_item("old", repos["old"], archived=True),
                         github_item("forked", repos["forked"], fork=True)]),
        ],
    }
    with forge_api(answers) as api:
        rc, doc, err = audit(tmp_path, "--github-org", "acme", "--api-url", api.base,
                             "--skip-forks", "--skip-archived",
                             env={"GITHUB_TOKEN": token})
        calls = [(path, h.get("Authorization")) for path, h in api.requests]
    assert rc == 1, err
    assert repositories(doc) == [f"file://{repos['api']}", f"file://{repos['web']}"]
    assert calls == [(first, f"Bearer {token}")] * 2 + [(second, f"Bearer {token}")] * 2
    assert err.splitlines()[:2] == ["pgsweep: GitHub: rate limit reached; waiting 1 s",
                                    "pgsweep: GitHub: rate limit reached; waiting 0 s"]
    assert token not in json.dumps(doc) + err


def test_github_user_and_match(tmp_path: Path) -> None:
    repos = leaky_repos(tmp_path / "srv")
    path = "/users/ada/repos?per_page=100&type=owner"
    moved = "/user/42/repos?per_page=100&type=owner"  # a renamed account: 301, same host
    answers = {path: [Answer(301, {}, {"Location": f"{{base}}{moved}"})],
               moved: [Answer(200, [github_item(n, p) for n, p in repos.items()])]}
    with forge_api(answers) as api:
        rc, doc, err = audit(tmp_path, "--github-user", "ada", "--api-url", api.base,
                             "--match", "acme/w*", "--match", "old", env={})
        assert [(p, h.get("Authorization")) for p, h in api.requests] == [
            (path, None), (moved, None)]
    assert rc == 1, err
    assert repositories(doc) == [f"file://{repos['old']}", f"file://{repos['web']}"]


def test_gitlab_group_subgroups_pages_and_retry_after(tmp_path: Path) -> None:
    repos = leaky_repos(tmp_path / "srv")
    token = "glpat-" + make_password(20)
    query = "include_subgroups=true&per_page=100&order_by=id&sort=asc"
    first = f"/api/v4/groups/acme%2Fplatform/projects?{query}"
    second = f"/api/v4/groups/acme%2Fplatform/projects?{query}&page=2"

    def project(name: str, forked: bool = False, archived: bool = False) -> dict[str, Any]:
        item = {"path_with_namespace": f"acme/platform/{name}", "archived": archived,
                "http_url_to_repo": f"file://{repos[name]}"}
        if forked:
            item["forked_from_project"] = {"id": 1}
        return item

    answers = {
        first: [Answer(429, {"message": "Retry later"}, {"Retry-After": "0"}),
                Answer(200, [project("api"), project("forked", forked=True)],
                       {"x-next-page": "2", "x-page": "1"})],
        second: [Answer(200, [project("old", archived=True)],
                        {"x-next-page": "", "x-page": "2"})],
    }
    with forge_api(answers) as api:
        rc, doc, err = audit(tmp_path, "--gitlab-group", "acme/platform", "--api-url", api.base,
                             "--skip-forks", env={"GITLAB_TOKEN": token})
        calls = [(path, h.get("Private-Token")) for path, h in api.requests]
    assert rc == 1, err
    assert calls == [(first, token), (first, token), (second, token)]
    assert repositories(doc) == [f"file://{repos['api']}", f"file://{repos['old']}"]
    assert "pgsweep: GitLab: rate limit reached; waiting 0 s" in err.splitlines()
    assert token not in json.dumps(doc) + err


def test_api_errors_are_one_line_and_waits_are_capped(tmp_path: Path) -> None:
    path = "/orgs/acme/repos?per_page=100&type=all"
    answers = {path: [Answer(403, {"message": "limit"}, {"Retry-After": "3600"})]}
    with forge_api(answers) as api:
        done = run_cli("audit", "--github-org", "acme", "--api-url", api.base,
                       "--max-rate-wait", "5", "--no-store")
        missing = run_cli("audit", "--github-org", "nobody", "--api-url", api.base, "--no-store")
        elsewhere = {path: [Answer(200, [], {"Link": '<http://example.org/x>; rel="next"'})]}
        api.answers.update(elsewhere)
        moved = run_cli("audit", "--github-org", "acme", "--api-url", api.base, "--no-store")
        away = api.base.replace("127.0.0.1", "localhost") + "/elsewhere"
        api.answers[path] = [Answer(302, {}, {"Location": away})]
        redirected = run_cli("audit", "--github-org", "acme", "--api-url", api.base,
                             "--no-store", env={"GITHUB_TOKEN": "ghp_secret123"})
        assert len(api.requests) == 4  # the redirect was not followed
    assert (done.returncode, done.stderr) == (2, (
        "pgsweep: error: GitHub: rate limit: the wait of 3600 s is longer than "
        "--max-rate-wait (5 s)\n"))
    assert (missing.returncode, missing.stderr) == (2, (
        "pgsweep: error: GitHub: /orgs/nobody/repos: HTTP 404 Not Found\n"))
    assert (moved.returncode, moved.stderr) == (2, (
        "pgsweep: error: GitHub: a next page on another host; not followed\n"))
    assert (redirected.returncode, redirected.stderr) == (2, (
        "pgsweep: error: GitHub: /orgs/acme/repos: a redirect to another host (localhost); "
        "not followed\n"))
