"""Step 3 of action.yml, last part: the job summary by severity and the count outputs.

Usage: summary.py SARIF RANGE EXIT_CODE FAIL_ON (SARIF empty when pgsweep wrote none).
Reads only the SARIF report pgsweep wrote in this run, which holds no secret; appends
Markdown to $GITHUB_STEP_SUMMARY and `count`, `highest-severity` to $GITHUB_OUTPUT.
"""

from __future__ import annotations

import html
import json
import os
import sys
from typing import Any
from urllib.parse import unquote

ORDER = ("critical", "high", "medium", "low", "info")
MAX_ROWS = 50


def cell(text: object) -> str:
    """Scanned text (a path, a user name) as an inert table cell."""
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(text))
    return "<code>" + html.escape(shown).replace("|", "&#124;") + "</code>"


def credentials(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One row per credential: its worst severity, first place and how many places."""
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        props = r.get("properties", {})
        loc = r["locations"][0]["physicalLocation"]
        line = loc.get("region", {}).get("startLine", "?")
        where = f"{unquote(loc['artifactLocation']['uri'])}:{line}"
        sev = props.get("severity", "low")
        key = props.get("credential") or r.get("partialFingerprints", {}).get(
            "pgsweepCredential/v1", where)
        row = rows.setdefault(key, {"severity": sev, "places": []})
        if ORDER.index(sev) < ORDER.index(row["severity"]):
            row["severity"] = sev
        user, host = props.get("user") or "?", props.get("host") or "?"
        row["places"].append((where, str(props.get("commit") or "")[:8], f"{user}@{host}"))
    return rows


def main(sarif: str, scanned: str, code: str, fail_on: str) -> list[str]:
    """The summary's lines; also prints one line for the log and sets the outputs."""
    outputs: dict[str, str] = {"count": "", "highest-severity": ""}
    if not sarif:
        lines = [f"### pgsweep did not finish (exit {code})", "",
                 f"Scanned: {scanned}. No report was read; see the step's log."]
        print(f"pgsweep ({scanned}): no report (exit {code})")
    else:
        with open(sarif, encoding="utf-8") as fh:
            results = json.load(fh)["runs"][0]["results"]
        rows = credentials(results)
        counts = {s: sum(1 for r in rows.values() if r["severity"] == s) for s in ORDER}
        worst = next((s for s in ORDER if counts[s]), "")
        outputs = {"count": str(len(rows)), "highest-severity": worst}
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        title = (f"{len(rows)} leaked PostgreSQL credential{'s' * (len(rows) != 1)} ({parts})"
                 if rows else "no leaked PostgreSQL credentials")
        verdict = ("at or above fail-on: the job fails" if code == "1"
                   else "none at or above fail-on" if rows else "clean")
        lines = [f"### pgsweep: {title}", "",
                 f"Scanned: {scanned}. Fail-on: {fail_on or 'the config, else low'}; "
                 f"{verdict}.", ""]
        print(f"pgsweep ({scanned}): {title}")
        if rows:
            lines += ["| severity | credentials |", "| --- | ---: |"]
            lines += [f"| {s} | {n} |" for s, n in counts.items() if n]
            lines += ["", "| severity | credential | where | commit |", "| --- | --- | --- | --- |"]
            ranked = sorted(rows.values(), key=lambda r: ORDER.index(r["severity"]))
            for row in ranked[:MAX_ROWS]:
                where, commit, who = row["places"][0]
                more = f" +{len(row['places']) - 1} places" if len(row["places"]) > 1 else ""
                lines.append(f"| {row['severity']} | {cell(who)} | {cell(where)}{more} | "
                             f"{cell(commit) if commit else ''} |")
            if len(ranked) > MAX_ROWS:
                lines.append(f"\n{len(ranked) - MAX_ROWS} more in the SARIF report.")
            lines += ["", "No secret appears here. How to rotate each credential: the help of its "
                      "code scanning alert, or `pgsweep scan` on a clone."]
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in outputs.items())
    return lines


if __name__ == "__main__":
    text = "\n".join(main(*sys.argv[1:5])) + "\n"
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
            fh.write(text)
