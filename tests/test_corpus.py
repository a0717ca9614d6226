"""Score the scanner on the labelled corpus: one test per case, and a summary."""

from __future__ import annotations

import collections

import pytest
from corpuscases import Case, judge, load
from filescan import scan_data, shared_scanner

from pgsweep.core.models import Finding

CASES = load()
# The floor the summary holds the corpus to; every case also has its own test.
MIN_RECALL = 1.0


def findings_of(case: Case) -> list[Finding]:
    found, _ = scan_data(shared_scanner(), case.name, case.text.encode("utf-8"), path=case.path)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    problem = judge(case, findings_of(case))
    assert problem is None, f"{case.id} ({case.origin}, {case.file}): {problem}"


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    scored: dict[str, list[tuple[Case, str | None]]] = collections.defaultdict(list)
    severities: collections.Counter[str] = collections.Counter()
    for case in CASES:
        found = findings_of(case)
        scored[case.kind].append((case, judge(case, found)))
        if case.placeholder:
            severities.update(str(f.severity) for f in found)
            if not found:
                severities["suppressed"] += 1
    positives, negatives = scored["positive"], scored["negative"]
    hits = sum(1 for _, problem in positives if problem is None)
    false_alarms = sum(1 for _, problem in negatives if problem is not None)
    recall = hits / len(positives) if positives else 1.0
    with capsys.disabled():
        print(
            f"\ncorpus: {len(CASES)} cases; recall {hits}/{len(positives)} = {recall:.1%}; "
            f"false positives on negatives {false_alarms}/{len(negatives)}; "
            f"placeholders {len(scored['placeholder'])}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(severities.items()))
        )
    assert positives and negatives
    assert recall >= MIN_RECALL
    assert false_alarms == 0
    assert all(problem is None for _, problem in scored["placeholder"])
