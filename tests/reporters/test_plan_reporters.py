"""Markdown, JSON and HTML rotation plans; the HTML report checked in headless Chromium."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from plan_fixtures import NOW, Verification, ci, config, finding, git, grouped, history

from pgsweep.assess.plan import Plan
from pgsweep.assess.rotation import build_plan
from pgsweep.core.models import Finding, ScanStats
from pgsweep.findings.pipeline import ScanResult
from pgsweep.jobs.report import build_report
from pgsweep.reporters.interface import Format, PlanFormat
from pgsweep.reporters.registry import PLAN_REPORTERS, REPORTERS, plan_reporter_for, reporter_for

RDS = "prod.c9akciq32.eu-west-1.rds.amazonaws.com"


def sample() -> tuple[list[Finding], list[str], Plan]:
    """Four credentials over every channel, with reuse, weak TLS and hostile names."""
    secrets = [make_password() for _ in range(3)]
    fs = [
        finding(secrets[0], "postgres", (RDS,), git(date="2026-01-10T09:00:00+00:00")),
        finding(secrets[0], "postgres", (RDS,), ci(ts="2026-02-01T00:00:00Z")),
        finding(secrets[0], "app", ("localhost",), config(path="/home/dev/shop/.env")),
        finding(secrets[1], 'we"ird', ("10.0.0.5",), history(ts="2026-05-20T09:00:00+00:00"),
                params=(("sslmode", "require"),)),
        finding(secrets[2], "<script>alert(1)</script>", ("db.acme.io",),
                config(path="/srv/<b>app</b>/.env", mtime="2026-05-30T00:00:00+00:00"),
                params=(("sslmode", "verify-full"),)),
    ]
    live = Verification("offline", "live", None, "2026-05-31T00:00:00+00:00")
    plan = build_plan(fs, grouped(fs), {}, {fs[0].credential: [live]}, NOW)
    return fs, secrets, plan


def render(fmt: PlanFormat, plan: Plan) -> str:
    buf = io.StringIO()
    plan_reporter_for(fmt).render_plan(plan, buf)
    return buf.getvalue()


def test_every_format_has_a_reporter() -> None:
    assert set(REPORTERS) == set(Format)
    assert set(PLAN_REPORTERS) == set(PlanFormat)


@pytest.mark.parametrize("fmt", list(PlanFormat), ids=str)
def test_no_secret_in_any_rendered_plan(fmt: PlanFormat) -> None:
    _, secrets, plan = sample()
    text = render(fmt, plan)
    for s in secrets:
        assert s not in text
    for p in plan.credentials:
        assert p.credential.id in text


@pytest.mark.parametrize("fmt", [Format.MARKDOWN, Format.HTML], ids=str)
def test_scan_formats_render_a_plan_without_secrets(fmt: Format) -> None:
    fs, secrets, _ = sample()
    report = build_report(ScanResult(tuple(fs), tuple(grouped(fs)), ScanStats()), now=NOW)
    buf = io.StringIO()
    reporter_for(fmt).render(report, buf)
    text = buf.getvalue()
    assert fs[0].credential in text and "rotation plan" in text
    for s in secrets:
        assert s not in text


def test_markdown_plan() -> None:
    fs, _, plan = sample()
    md = render(PlanFormat.MARKDOWN, plan)
    rows = [ln for ln in md.splitlines() if re.match(r"^\| \d+ \|", ln)]
    assert [r.split("|")[4].strip() for r in rows] == [
        f"[{p.credential.id}](#{p.credential.id})" for p in plan.credentials]
    assert rows[0].startswith(f"| 1 | **critical** | open | [{fs[0].credential}]")
    for heading in ("## Credentials", "### Password reuse across environments",
                    "### Weak transport", "### Rotate now", "### SQL to run",
                    "### Audit for misuse", "### Clean up the leak", "### Stop it recurring"):
        assert heading in md
    assert '\\password "we""ird"' in md  # inside a code block: verbatim
    assert "\\<script\\>" in md  # escaped in table cells


def test_json_plan() -> None:
    fs, _, plan = sample()
    doc = json.loads(render(PlanFormat.JSON, plan))
    assert (doc["version"], doc["kind"]) == (2, "pgsweep-rotation-plan")
    assert doc["generated_at"] == "2026-06-01T12:00:00+00:00"
    first = doc["credentials"][0]
    assert first["id"] == fs[0].credential
    assert (first["user"], first["hosts"], first["risk"]["severity"]) == ("postgres", [RDS],
                                                                          "critical")
    assert first["risk"]["verification"] == "live"
    assert [loc["channel"] for loc in first["locations"]] == ["git-history", "ci-log"]
    assert {s["section"] for s in first["steps"]} == {"rotate", "sql", "audit", "clean",
                                                      "prevent"}
    assert first["risk"]["factors"][0] == {"name": "host.cloud", "effect": 4, "floor": None,
                                           "cap": None, "reason": first["risk"]["factors"][0]
                                           ["reason"]}
    (reuse,) = doc["reuse"]
    assert set(reuse["credentials"]) == {fs[0].credential, fs[2].credential}
    assert reuse["spans_environments"] is True
    # no sslmode for the RDS one, require for the internal one; verify-full is fine
    assert [t["credential"] for t in doc["transport"]] == [fs[0].credential, fs[3].credential]
    assert doc["summary"]["credentials"] == 4


def test_html_is_self_contained_and_escaped() -> None:
    _, _, plan = sample()
    html = render(PlanFormat.HTML, plan)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "/srv/&lt;b&gt;app&lt;/b&gt;/.env" in html
    # no external assets: nothing is fetched, and the CSP forbids it anyway
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:|//)", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html


# --------------------------------------------------------------------------- chromium
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Dom(HTMLParser):
    """Collects the elements the assertions need from Chromium's serialised DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.table_rows: list[str] = []
        self.timeline_rows: list[str] = []
        self.timeline_bars: list[str] = []
        self.timeline_events: list[str] = []
        self.has_table = self.has_svg = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "table" and a.get("id") == "credentials-table":
            self.has_table = True
        if tag == "svg" and a.get("id") == "exposure-timeline":
            self.has_svg = True
        if tag == "tr" and "tbody" in self.stack and a.get("data-credential"):
            self.table_rows.append(a["data-credential"] or "")
        if tag == "g" and "timeline-row" in classes:
            self.timeline_rows.append(a.get("data-credential") or "")
        if tag == "rect" and "timeline-bar" in classes:
            self.timeline_bars.append(" ".join(classes))
        if tag == "circle" and "timeline-event" in classes:
            self.timeline_events.append(a.get("data-channel") or "")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def _chromium_args(profile: Path) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


def test_html_report_in_headless_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    assert chromium is not None, "chromium not found (make system-deps installs it)"
    fs, secrets, plan = sample()
    page = tmp_path / "report.html"
    page.write_text(render(PlanFormat.HTML, plan), encoding="utf-8")
    url = page.as_uri()
    dump = subprocess.run(
        [chromium, *_chromium_args(tmp_path / "profile"), "--dump-dom", url],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert dump.returncode == 0, dump.stderr[-2000:]
    dom = _Dom()
    dom.feed(dump.stdout)
    ids = [p.credential.id for p in plan.credentials]
    assert dom.has_table and dom.table_rows == ids
    assert dom.has_svg and dom.timeline_rows == ids
    assert dom.timeline_bars[0] == "timeline-bar sev-critical"
    # one dot per place with a known time: the RDS credential in git and a CI log first
    assert dom.timeline_events[:2] == ["git-history", "ci-log"]
    assert len(dom.timeline_events) == len(fs)
    assert "<script>alert(1)</script>" not in dump.stdout
    for s in secrets:
        assert s not in dump.stdout

    shot = tmp_path / "report.png"
    result = subprocess.run(
        [chromium, *_chromium_args(tmp_path / "profile2"), "--window-size=1280,1600",
         f"--screenshot={shot}", url],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- CLI
def test_scan_format_markdown_from_a_fresh_scan(tmp_path: Path) -> None:
    pw = make_password()
    env = tmp_path / ".env"
    env.write_text(f"DATABASE_URL=postgresql://app:{pw}@{RDS}:5432/shop\n")
    out = tmp_path / "plan.md"
    proc = run_cli("scan", str(env), "--format", "markdown", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    md = out.read_text()
    assert f"app@{RDS}" in md and "### SQL to run" in md
    assert pw not in md and pw not in proc.stdout + proc.stderr


def test_report_and_explain_from_the_store(tmp_path: Path) -> None:
    pw = make_password()
    repo = tmp_path / "cfg"
    repo.mkdir()
    (repo / "app.env").write_text(f"DATABASE_URL=postgresql://postgres:{pw}@{RDS}/shop\n")
    store = tmp_path / "store.db"
    scan = run_cli("scan", str(repo), "--store", str(store), "--format", "json")
    assert scan.returncode == 1, scan.stderr
    cid = json.loads(scan.stdout)["credentials"][0]["id"]
    for fmt in ("markdown", "json", "html"):
        out = tmp_path / f"plan.{fmt}"
        proc = run_cli("report", "--store", str(store), "--format", fmt, "--output", str(out),
                       "--now", "2026-06-01T00:00:00Z")
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert cid in text and pw not in text
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["credentials"][0]["risk"]["severity"] == "critical"
    proc = run_cli("explain", cid, "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"credential {cid}: postgres@{RDS}")
    assert "host.cloud" in proc.stdout and "role.privileged" in proc.stdout
    assert pw not in proc.stdout
    nowhere = run_cli("report", "--store", str(tmp_path / "none.db"))
    assert nowhere.returncode == 2
    assert "no findings store here" in nowhere.stderr
    assert not (tmp_path / "none.db").exists()
    missing = run_cli("explain", "cffffffffffffff0", "--store", str(store))
    assert missing.returncode == 2
    assert "no credential cffffffffffffff0 in" in missing.stderr

    # a verification recorded in the store changes the plan: rotated caps it at low
    from pgsweep.store import Store

    with Store.open(store) as db:
        db.record_verification(cid, "offline", "rotated", {})
    proc = run_cli("report", "--store", str(store), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    risk = json.loads(proc.stdout)["credentials"][0]["risk"]
    assert (risk["severity"], risk["verification"]) == ("low", "rotated")
    assert risk["factors"][-1]["name"] == "verified.rotated"
