"""Turn an audit's forge options into repository URLs: GitHub organisations and users,
GitLab groups, each listed through its API with the token from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pgsweep.remote import forges
from pgsweep.remote.api import DEFAULT_MAX_WAIT, Say
from pgsweep.remote.errors import RemoteError


@dataclass(frozen=True)
class ForgeQuery:
    github_orgs: tuple[str, ...] = ()
    github_users: tuple[str, ...] = ()
    gitlab_groups: tuple[str, ...] = ()
    api_url: str | None = None  # one forge's own API (GitHub Enterprise, GitLab instance)
    filters: forges.Filters = field(default_factory=forges.Filters)
    max_wait: float = DEFAULT_MAX_WAIT

    @property
    def any(self) -> bool:
        return bool(self.github_orgs or self.github_users or self.gitlab_groups)


def forge_entries(query: ForgeQuery, say: Say) -> list[str]:
    """The clone URLs of every listed repository the filters keep, in listed order."""
    if query.api_url and (query.github_orgs or query.github_users) and query.gitlab_groups:
        raise RemoteError("--api-url names one forge: audit GitHub and GitLab in separate runs")
    listed: list[forges.ForgeRepo] = []
    if query.github_orgs or query.github_users:
        client = forges.github_client(os.environ.get("GITHUB_TOKEN"), max_wait=query.max_wait,
                                      say=say)
        api = query.api_url or forges.GITHUB_API
        for org in query.github_orgs:
            listed.extend(forges.iter_github(client, api, org, user=False))
        for user in query.github_users:
            listed.extend(forges.iter_github(client, api, user, user=True))
    if query.gitlab_groups:
        client = forges.gitlab_client(os.environ.get("GITLAB_TOKEN"), max_wait=query.max_wait,
                                      say=say)
        for group in query.gitlab_groups:
            listed.extend(forges.iter_gitlab(client, query.api_url or forges.GITLAB_URL, group))
    return [r.clone_url for r in forges.select(listed, query.filters)]
