"""Group a plan's credentials by the repositories they were seen in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pgsweep.assess.locations import Location

NOT_IN_A_REPOSITORY = "(not in a git repository)"


@dataclass(frozen=True)
class PlanGroup:
    """The credentials seen in one repository (`name`), in the plan's order."""

    name: str
    credentials: tuple[str, ...]


def by_repository(credentials: Iterable[tuple[str, Iterable[Location]]]) -> tuple[PlanGroup, ...]:
    """Credential ids (with their locations, in plan order) grouped by repository: one
    seen in several repositories is in each group; groups sorted by name."""
    groups: dict[str, list[str]] = {}
    for cid, locations in credentials:
        names = {loc.repository or NOT_IN_A_REPOSITORY for loc in locations}
        for name in sorted(names or {NOT_IN_A_REPOSITORY}):
            groups.setdefault(name, []).append(cid)
    return tuple(PlanGroup(name, tuple(ids)) for name, ids in sorted(groups.items()))
