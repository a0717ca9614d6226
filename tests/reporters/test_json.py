"""The JSON document: each credential lists the ids of exactly its own findings."""

from __future__ import annotations

import io
import json

from pgsweep.core.times import utc_now
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.json import JsonReporter


def test_each_credential_lists_its_own_findings(
    leaky_scan: tuple[ScanResult, tuple[str, str]],
) -> None:
    result, (pw1, pw2) = leaky_scan
    out = io.StringIO()
    JsonReporter().render(build_report(result, now=utc_now()), out)
    doc = json.loads(out.getvalue())
    place = {f["id"]: (f["path"].rsplit("/", 1)[-1], f["line"]) for f in doc["findings"]}
    listed = sorted((c["user"], c["secret"], sorted(place[i] for i in c["findings"]))
                    for c in doc["credentials"])
    assert listed == [
        ("app", redact(pw1), [("run.sh", 3), ("settings.env", 2)]),
        ("report", redact(pw2), [("run.sh", 2)]),
    ]
