"""Whether a place is test code or a CI definition, and a host no real server answers to:
together, the marks of a test fixture's password."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pgsweep.assess.hosts import HostClass, HostInfo
from pgsweep.core.models import Finding, provenance_path

# A folder of tests, or a file named as test frameworks name their tests; CI definitions
# (their databases are service containers the job starts and throws away).
_TEST_PATH = re.compile(
    r"(?i)(?:^|/)(?:tests?|testing|spec|specs|__tests__|fixtures?|testdata|test-?data|e2e)/"
    r"|(?:^|/)(?:test_[^/]*\.py|[^/]*_test\.[a-z]+|[^/]*\.(?:test|spec)\.[jt]sx?|conftest\.py"
    r"|[^/]*Tests?\.(?:java|kt|cs|scala|groovy))$"
    r"|(?:^|/)(?:\.github/workflows/[^/]+|\.travis\.yml|\.gitlab-ci\.yml|\.circleci/[^/]+"
    r"|azure-pipelines\.yml|bitbucket-pipelines\.yml|appveyor\.yml|Jenkinsfile"
    r"|\.drone\.yml|\.woodpecker\.ya?ml|cloudbuild\.ya?ml|buildspec\.ya?ml|[^/]*\.ci\.ya?ml)$"
    r"|(?:^|/)(?:\.ci|\.buildkite|\.woodpecker|\.teamcity)/"
)


def is_test_path(path: str | None) -> bool:
    """A path in a test folder, a test file, or a CI definition."""
    return path is not None and _TEST_PATH.search(path.replace("\\", "/")) is not None


def all_in_test_code(findings: Sequence[Finding]) -> bool:
    """Every occurrence (at least one) is in test code or a CI definition."""
    return bool(findings) and all(is_test_path(provenance_path(f.provenance)) for f in findings)


def names_no_server(host: HostInfo) -> bool:
    """No host, a local or example one, or a single-label name (`utHost1`): nothing that
    points at a server outside the test's own machine."""
    if host.cls in (HostClass.UNKNOWN, HostClass.LOCAL, HostClass.EXAMPLE):
        return True
    # no dot and no colon: neither a DNS name with a domain nor an IPv4 or IPv6 address
    return host.cls is HostClass.INTERNAL and "." not in host.host and ":" not in host.host
