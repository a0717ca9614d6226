"""List an organisation's repositories on GitHub (an organisation or a user) or GitLab (a
group and its subgroups), with the filters an audit applies."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from pgsweep.remote.api import Client, iter_pages, link_next
from pgsweep.remote.errors import RemoteError

GITHUB_API = "https://api.github.com"
GITLAB_URL = "https://gitlab.com"


@dataclass(frozen=True)
class ForgeRepo:
    """One listed repository: its full name, what git clones, and its flags."""

    name: str  # org/repo, group/subgroup/project
    clone_url: str
    fork: bool = False
    archived: bool = False


@dataclass(frozen=True)
class Filters:
    skip_forks: bool = False
    skip_archived: bool = False
    match: tuple[str, ...] = ()  # globs on the full name or the last part of it

    def keeps(self, repo: ForgeRepo) -> bool:
        if (self.skip_forks and repo.fork) or (self.skip_archived and repo.archived):
            return False
        if not self.match:
            return True
        short = repo.name.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(repo.name, g) or fnmatch.fnmatchcase(short, g)
                   for g in self.match)


def github_client(token: str | None, **kw: Any) -> Client:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client("GitHub", headers, **kw)


def gitlab_client(token: str | None, **kw: Any) -> Client:
    return Client("GitLab", {"PRIVATE-TOKEN": token} if token else {}, **kw)


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise RemoteError(f"a listed repository has no {key}")
    return value


def _github_next(url: str, headers: Message) -> str | None:
    return link_next(headers)


def iter_github(client: Client, api_url: str, owner: str, *, user: bool) -> Iterator[ForgeRepo]:
    """`GET /orgs/{org}/repos` (or `/users/{user}/repos`), 100 a page, every type."""
    kind = "users" if user else "orgs"
    query = urlencode({"per_page": 100, "type": "all" if not user else "owner"})
    url = f"{api_url.rstrip('/')}/{kind}/{quote(owner, safe='')}/repos?{query}"
    for page in iter_pages(client, url, _github_next):
        for item in page:
            if isinstance(item, dict):
                yield ForgeRepo(_text(item, "full_name"), _text(item, "clone_url"),
                                bool(item.get("fork")), bool(item.get("archived")))


def _gitlab_next(url: str, headers: Message) -> str | None:
    """GitLab's `x-next-page` (empty on the last page), else its `Link` header."""
    page = (headers.get("x-next-page") or "").strip()
    if page.isdigit():
        parts = urlsplit(url)
        query = [(k, v) for k, v in _query(parts.query) if k != "page"] + [("page", page)]
        return urlunsplit(parts._replace(query=urlencode(query)))
    if headers.get("x-next-page") is not None:
        return None
    return link_next(headers)


def _query(text: str) -> list[tuple[str, str]]:
    out = []
    for pair in text.split("&"):
        if pair:
            k, _, v = pair.partition("=")
            out.append((k, v))
    return out


def gitlab_api(base: str) -> str:
    """The v4 API root of a GitLab instance given as its base URL (or its API URL)."""
    base = base.rstrip("/")
    return base if base.endswith("/api/v4") else base + "/api/v4"


def iter_gitlab(client: Client, base_url: str, group: str) -> Iterator[ForgeRepo]:
    """`GET /groups/{id}/projects?include_subgroups=true`, 100 a page."""
    query = urlencode({"include_subgroups": "true", "per_page": 100, "order_by": "id",
                       "sort": "asc"})
    url = f"{gitlab_api(base_url)}/groups/{quote(group, safe='')}/projects?{query}"
    for page in iter_pages(client, url, _gitlab_next):
        for item in page:
            if isinstance(item, dict):
                yield ForgeRepo(_text(item, "path_with_namespace"),
                                _text(item, "http_url_to_repo"),
                                item.get("forked_from_project") is not None,
                                bool(item.get("archived")))


def select(repos: Iterable[ForgeRepo], filters: Filters) -> list[ForgeRepo]:
    """The repositories `filters` keep, each once, in listed order."""
    seen: set[str] = set()
    out = []
    for r in repos:
        if r.clone_url not in seen and filters.keeps(r):
            seen.add(r.clone_url)
            out.append(r)
    return out
