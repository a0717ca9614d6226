"""`evolve` copies a frozen dataclass exactly as `dataclasses.replace` does."""

from __future__ import annotations

import dataclasses

import pytest
from plan_fixtures import finding

from pgsweep.core.evolve import evolve
from pgsweep.core.models import FileProvenance, GitProvenance, Severity


def test_the_copy_equals_what_replace_makes() -> None:
    f = finding("Xk-8812-secret", "app", ("db.corp.example",),
                GitProvenance(repo="/srv/app", blob="b" * 40, commit="c" * 40, path="app/.env"))
    for changes in ({"severity": Severity.INFO}, {"line": 7, "user": "u"}, {}):
        copy = evolve(f, **changes)
        assert copy == dataclasses.replace(f, **changes)
        assert copy is not f and type(copy) is type(f)
    # the original is unchanged, and the copy is as frozen as it
    assert evolve(f, line=9).line == 9 and f.line != 9
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolve(f, line=9).line = 10  # type: ignore[misc]


def test_an_unknown_field_is_refused_and_post_init_still_runs() -> None:
    f = finding("Xk-8812-secret", "app", ("db.corp.example",),
                GitProvenance(repo="/srv/app", blob="b" * 40, commit="c" * 40, path="app/.env"))
    with pytest.raises(TypeError):
        evolve(f, no_such_field=1)
    p = FileProvenance(path="/x")
    assert evolve(p, risk_flags=["world-readable"]).risk_flags == ("world-readable",)
