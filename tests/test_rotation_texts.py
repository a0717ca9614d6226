"""The per-provider and per-channel plan texts: the shipped file is complete, a malformed one
is one clear error, and every text reaches the plan."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest
from plan_fixtures import NOW, finding, git, grouped

from pgsweep.assess.plan import Section
from pgsweep.assess.risk import assess
from pgsweep.assess.risk_factors import Channel
from pgsweep.assess.rotation import build_plan
from pgsweep.assess.rotation_texts import RotationTextsError, parse_texts, rotation_texts


def shipped() -> dict[str, Any]:
    raw = resources.files("pgsweep.assess").joinpath("rotation_texts.toml").read_text("utf-8")
    return tomllib.loads(raw)


def test_the_shipped_texts_cover_every_channel_in_plan_order() -> None:
    texts = rotation_texts()
    assert [c.channel for c in texts.clean] == [
        Channel.GIT, Channel.CI_LOG, Channel.HISTORY, Channel.CONFIG, Channel.DESKTOP,
        Channel.CHAT, Channel.MAIL, Channel.IMAGE, Channel.PROCESS,
    ]
    assert [p.name for p in texts.providers] == [
        "AWS", "Azure", "Google Cloud SQL", "Heroku", "DigitalOcean", "Aiven"]


@pytest.mark.parametrize(("name", "entry"), [
    ("AWS RDS", "AWS"), ("AWS Aurora", "AWS"), ("Google Cloud SQL", "Google Cloud SQL"),
    ("Google Cloud SQL Proxy", None), ("Aiven", "Aiven"), ("Aivenx", None), ("Neon", None),
])
def test_a_provider_matches_exactly_or_by_prefix(name: str, entry: str | None) -> None:
    found = rotation_texts().provider(name)
    assert (found.name if found else None) == entry


def test_the_provider_step_quotes_the_role_into_its_command() -> None:
    f = finding("Xk9pQ2mZ7vB4nL8w", "app user", ("mydb.abc123.db.ondigitalocean.com",), git())
    (c,) = grouped([f])
    plan = build_plan([f], [c], None, None, NOW)
    (step,) = [s for s in plan.credentials[0].section(Section.ROTATE) if s.order == 3]
    assert step.title == "Rotate through DigitalOcean Managed Databases"
    assert step.detail == "Reset the user's password with doctl, then update the clients:"
    assert step.commands == ("doctl databases user reset <database-id> 'app user'",)
    tiers = [s.detail for s in plan.credentials[0].section(Section.PREVENT)][:1]
    assert tiers == ["DigitalOcean Managed Databases's secret or environment integration "
                     "instead of plaintext in files or environment definitions."]
    assert assess(c, [f], NOW).host.provider == "DigitalOcean Managed Databases"


def test_the_git_clean_up_repeats_the_path_command_for_each_file() -> None:
    fs = [finding("Xk9pQ2mZ7vB4nL8w", "app", ("db.acme.io",), git(path=path))
          for path in ("config/a b.yml", "config/db.yml")]
    plan = build_plan(fs, grouped(fs), None, None, NOW)
    (clean,) = plan.credentials[0].section(Section.CLEAN)
    assert clean.detail.startswith(
        "Found at /src/shop:config/a b.yml:3, /src/shop:config/db.yml:3. Put the leaked")
    assert clean.commands == (
        "git filter-repo --replace-text ../pgsweep-replacements.txt",
        "git filter-repo --invert-paths --path 'config/a b.yml'  "
        "# only for files that should not be in git at all",
        "git filter-repo --invert-paths --path config/db.yml  "
        "# only for files that should not be in git at all",
        "git push --force --all && git push --force --tags",
    )


def test_an_unknown_placeholder_is_one_clear_error() -> None:
    data = shipped()
    data["clean"][1]["detail"] = "Found in {where}."
    with pytest.raises(RotationTextsError, match=r"^rotation texts: clean\[1\]\.detail has "
                                                 r"unknown placeholder \{where\}$"):
        parse_texts(data)


def test_a_provider_command_may_only_use_the_user() -> None:
    data = shipped()
    data["provider"][0]["rotate"]["commands"] = ["aws rds --password {password}"]
    with pytest.raises(RotationTextsError, match=r"provider\[0\]\.rotate\.commands has unknown "
                                                 r"placeholder \{password\}"):
        parse_texts(data)


def test_a_missing_channel_is_an_error() -> None:
    data = shipped()
    data["clean"] = [c for c in data["clean"] if c["channel"] != "mail"]
    with pytest.raises(RotationTextsError, match=r"one step per channel \(missing: mail\)$"):
        parse_texts(data)


def test_a_missing_text_is_an_error() -> None:
    data = shipped()
    del data["prevent_local"]["tier2"]
    with pytest.raises(RotationTextsError,
                       match=r"^rotation texts: prevent_local\.tier2 must be a non-empty string$"):
        parse_texts(data)
