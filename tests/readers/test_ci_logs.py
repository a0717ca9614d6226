"""CI log readers: real GitHub zips, GitLab traces with ANSI/\\r, Jenkins, CircleCI, plain logs."""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import make_password
from provenances import ci_of

from pgsweep.core.models import Chunk, CiLogProvenance, Finding, ScanStats, Skipped
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.readers.ci_logs import (
    CircleCiReader,
    GitHubActionsReader,
    GitLabTraceReader,
    JenkinsReader,
    PlainLogReader,
    github_job_step,
    jenkins_job,
)
from pgsweep.readers.interface import FileInfo, Reader
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS

ESC = "\x1b"


@pytest.fixture(scope="module")
def scanner(all_signatures: list[Signature]) -> Scanner:
    return Scanner(all_signatures)


def select(info: FileInfo, data: bytes) -> Reader | None:
    """What a first-match registry over these readers picks for the file."""
    return next((r for r in LOG_AND_HISTORY_READERS if r.matches(info, data[:4096])), None)


def chunks_of(reader: Reader, info: FileInfo, data: bytes) -> list[Chunk]:
    items = list(reader.iter_chunks(info, data))
    assert all(isinstance(i, Chunk) for i in items), items
    return [i for i in items if isinstance(i, Chunk)]


def findings(scanner: Scanner, chunks: Iterable[Chunk]) -> list[Finding]:
    out: list[Finding] = []
    for c in chunks:
        out.extend(scanner.scan_chunk(c, ScanStats()))
    return out


def summary(f: Finding) -> tuple[object, ...]:
    p = f.provenance
    assert isinstance(p, CiLogProvenance)
    return (p.system, p.member, p.job, p.step, p.timestamp,
            f.line, f.user, f.host, redact(f.secret))


def lines_of(chunk: Chunk) -> list[str]:
    return chunk.data.decode("utf-8", "surrogateescape").split("\n")


# --------------------------------------------------------------------------- GitHub Actions
def gh(ts: str, text: str) -> str:
    return f"2024-05-30T14:{ts}Z {text}\n"


def github_zip(pw: str, pw2: str) -> bytes:
    """A logs zip laid out as `GET /repos/{o}/{r}/actions/runs/{id}/logs` returns it."""
    setup = "\ufeff" + gh("30:00.1234567", "Current runner version: '2.317.0'") + gh(
        "30:00.1300000", "##[group]Operating System") + gh("30:00.1400000", "Ubuntu") + gh(
        "30:00.1500000", "##[endgroup]")
    migrate = (
        "\ufeff"
        + gh("30:05.0000001", "##[group]Run psql \"$DATABASE_URL\" -f schema.sql")
        + gh("30:05.0000002", f"{ESC}[36;1mpsql \"$DATABASE_URL\" -f schema.sql{ESC}[0m")
        + gh("30:05.0000003", "shell: /usr/bin/bash -e {0}")
        + gh("30:05.0000004", "env:")
        + gh("30:05.0000005", f"  DATABASE_URL: postgres://app:{pw}@db.corp.net:5432/prod")
        + gh("30:05.0000006", "  MASKED_URL: postgres://app:***@db.corp.net:5432/prod")
        + gh("30:05.0000007", "##[endgroup]")
        + gh("30:07.5000000",
             f"##[error]psql: connection to postgresql://svc:{pw2}@10.9.8.7/prod failed")
        + gh("30:07.6000000", "postgres://app:***@db.corp.net/prod")
    )
    whole = setup + migrate.lstrip("\ufeff") + gh("30:09.0000000", "Cleaning up orphan processes")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("0_build.txt", whole.encode())
        z.writestr("build/1_Set up job.txt", setup.encode())
        z.writestr("build/2_Run migrations.txt", migrate.encode())
        z.writestr("build/system.txt",
                   gh("29:59.0000000", "Requested labels: ubuntu-latest").encode())
        z.writestr("1_test (ubuntu-latest, 3.12).txt", (
            gh("31:00.0000000", "Current runner version: '2.317.0'") + gh("31:00.1000000", "ok")
            + gh("31:00.2000000", "Cleaning up orphan processes")).encode())
    return buf.getvalue()


def test_github_zip_members_give_job_step_line_and_timestamp(
    scanner: Scanner, tmp_path: Path
) -> None:
    pw, pw2 = make_password(), make_password()
    archive = tmp_path / "logs_42.zip"
    archive.write_bytes(github_zip(pw, pw2))
    got: list[tuple[object, ...]] = []
    with zipfile.ZipFile(archive) as z:
        for member in sorted(z.namelist()):
            data = z.read(member)
            # As the archive source names members: the basename, and the full member path.
            info = FileInfo(path=str(archive), name=posixpath.basename(member), member=member)
            reader = select(info, data)
            assert isinstance(reader, GitHubActionsReader), member
            got.extend(summary(f) for f in findings(scanner, chunks_of(reader, info, data)))
    step = 'Run psql "$DATABASE_URL" -f schema.sql'
    assert sorted(got, key=str) == sorted([
        ("github-actions", "0_build.txt", "build", step, "2024-05-30T14:30:05+00:00", 9,
         "app", "db.corp.net", redact(pw)),
        ("github-actions", "0_build.txt", "build", step, "2024-05-30T14:30:07+00:00", 12,
         "svc", "10.9.8.7", redact(pw2)),
        ("github-actions", "build/2_Run migrations.txt", "build", "Run migrations",
         "2024-05-30T14:30:05+00:00", 5, "app", "db.corp.net", redact(pw)),
        ("github-actions", "build/2_Run migrations.txt", "build", "Run migrations",
         "2024-05-30T14:30:07+00:00", 8, "svc", "10.9.8.7", redact(pw2)),
    ], key=str)


def test_github_normalised_text_and_line_map() -> None:
    data = ("\ufeff" + gh("30:00.1234567", "##[group]Run echo hi")
            + gh("30:00.2", f"{ESC}[36;1mecho hi{ESC}[0m")
            + gh("30:00.3", "##[endgroup]") + gh("30:01.0", "##[warning]careful")
            + gh("30:01.5", "done") + gh("30:01.6", "Post job cleanup.")
            + gh("30:01.7", "Cleaning up orphan processes")).encode()
    info = FileInfo(path="/tmp/logs.zip", name="0_deploy.txt", member="0_deploy.txt")
    chunks = chunks_of(GitHubActionsReader(), info, data)
    got = [(lines_of(c), c.line_map, ci_of(c).timestamp, ci_of(c).step) for c in chunks]
    assert got == [
        (["Run echo hi", "echo hi", ""], None, "2024-05-30T14:30:00+00:00", "Run echo hi"),
        (["careful", "done"], (4, 5), "2024-05-30T14:30:01+00:00", "Run echo hi"),
        (["Post job cleanup."], (6,), "2024-05-30T14:30:01+00:00", "Post job cleanup"),
        (["Cleaning up orphan processes"], (7,), "2024-05-30T14:30:01+00:00", "Complete job"),
    ]
    assert all(ci_of(c).job == "deploy" for c in chunks)


def test_github_member_names() -> None:
    assert github_job_step("0_build.txt") == ("build", None, False)
    assert github_job_step("1_test (ubuntu-latest, 3.12).txt") == (
        "test (ubuntu-latest, 3.12)", None, False)
    assert github_job_step("build/1_Set up job.txt") == ("build", "Set up job", True)
    assert github_job_step("build/system.txt") == ("build", "system", True)
    assert github_job_step("job-logs.txt") == (None, None, False)
    assert github_job_step("tmp/job-logs.txt") == (None, None, False)
    nested = FileInfo(path="/e/evidence.tar", name="2_Run tests.txt",
                      member="home/a/logs_42.zip!build/2_Run tests.txt")
    [chunk] = chunks_of(GitHubActionsReader(), nested, gh("30:00.0000000", "hi").encode())
    assert (ci_of(chunk).job, ci_of(chunk).step) == ("build", "Run tests")


def test_github_zip_extracted_to_disk(tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(github_zip(make_password(), make_password()))) as z:
        z.extractall(tmp_path / "logs_42")
    got = {}
    for path in sorted((tmp_path / "logs_42").rglob("*.txt")):
        data = path.read_bytes()
        info = FileInfo(path=str(path), name=path.name)
        reader = select(info, data)
        assert isinstance(reader, GitHubActionsReader), path
        steps = {(ci_of(c).job, ci_of(c).step) for c in chunks_of(reader, info, data)}
        got[str(path.relative_to(tmp_path / "logs_42"))] = sorted(steps, key=str)
    assert got == {
        "0_build.txt": sorted([("build", None), ("build", 'Run psql "$DATABASE_URL" -f schema.sql'),
                               ("build", "Complete job")], key=str),
        "1_test (ubuntu-latest, 3.12).txt": sorted(
            [("test (ubuntu-latest, 3.12)", None), ("test (ubuntu-latest, 3.12)", "Complete job")],
            key=str),
        "build/1_Set up job.txt": [("build", "Set up job")],
        "build/2_Run migrations.txt": [("build", "Run migrations")],
        "build/system.txt": [("build", "system")],
    }


def test_github_mask_is_never_a_finding(scanner: Scanner) -> None:
    data = (gh("30:00.0000000", "postgres://app:***@h.corp.net/db")
            + gh("30:00.1000000", "DATABASE_URL=postgresql://***:***@***/prod")).encode()
    chunks = chunks_of(GitHubActionsReader(), FileInfo(path="j.txt", name="0_j.txt"), data)
    assert findings(scanner, chunks) == []


def test_big_github_log_groups_lines_into_few_chunks() -> None:
    pw = make_password()
    lines = [gh(f"{30 + i // 60_000:02d}:{(i // 1000) % 60:02d}.{i:07d}", f"line {i} of output")
             for i in range(120_000)]
    lines[77_777] = gh("31:17.0000000", f"postgres://app:{pw}@db.corp.net/prod")
    chunks = chunks_of(GitHubActionsReader(), FileInfo(path="big.txt", name="0_big.txt"),
                       "".join(lines).encode())
    assert len(chunks) == 120  # one per second of output, not one per line
    hit = [c for c in chunks if pw.encode() in c.data]
    assert len(hit) == 1 and hit[0].original_line(lines_of(hit[0]).index(
        f"postgres://app:{pw}@db.corp.net/prod") + 1) == 77_778


# --------------------------------------------------------------------------- GitLab
def gitlab_trace(pw: str, pw2: str) -> bytes:
    text = (
        "Running with gitlab-runner 17.0.0 (44feccdf)\n"
        f"{ESC}[0Ksection_start:1717079400:prepare_executor\r{ESC}[0K{ESC}[0K{ESC}[36;1mPreparing{ESC}[0;m\n"
        "Using docker executor\n"
        f"{ESC}[0Ksection_end:1717079401:prepare_executor\r{ESC}[0K\n"
        f"{ESC}[0Ksection_start:1717079460:step_script[collapsed=true]\r{ESC}[0K"
        f"{ESC}[0K{ESC}[36;1mExecuting \"step_script\" stage{ESC}[0;m\n"
        f"{ESC}[32;1m$ psql postgres://app:{pw}@db.corp.net/prod -c 'select 1'{ESC}[0;m\n"
        f"connecting to postgresql://svc:{pw2}@db2.corp.net/x ...\r{ESC}[0Kconnected{ESC}[K\r\n"
        "progress 10%\rprogress 100%\n"
        "postgres://app:[MASKED]@db.corp.net/prod\n"
        f"{ESC}[0Ksection_end:1717079470:step_script\r{ESC}[0K\n"
        f"{ESC}[32;1mJob succeeded{ESC}[0;m\n"
    )
    return text.encode()


def test_gitlab_trace_sections_ansi_and_overwritten_segments(scanner: Scanner) -> None:
    pw, pw2 = make_password(), make_password()
    data = gitlab_trace(pw, pw2)
    info = FileInfo(path="/srv/gitlab/builds/2024_05/7/job.log", name="job.log")
    reader = select(info, data)
    assert isinstance(reader, GitLabTraceReader)
    chunks = chunks_of(reader, info, data)
    assert sorted(summary(f) for f in findings(scanner, chunks)) == sorted([
        ("gitlab", None, None, "step_script", "2024-05-30T14:31:00+00:00",
         6, "app", "db.corp.net", redact(pw)),
        ("gitlab", None, None, "step_script", "2024-05-30T14:31:00+00:00",
         7, "svc", "db2.corp.net", redact(pw2)),
    ])
    script = next(c for c in chunks if ci_of(c).step == "step_script")
    assert lines_of(script) == [
        'Executing "step_script" stage',
        f"$ psql postgres://app:{pw}@db.corp.net/prod -c 'select 1'",
        "connected",  # what the terminal showed …
        f"connecting to postgresql://svc:{pw2}@db2.corp.net/x ...",  # … and what it overwrote
        "progress 100%",
        "progress 10%",
        "postgres://app:[MASKED]@db.corp.net/prod",
    ]
    assert script.line_map == (5, 6, 7, 7, 8, 8, 9)


def test_gitlab_ff_timestamps_and_continuations(scanner: Scanner) -> None:
    pw = make_password()
    half = len(pw) // 2
    text = (
        "2024-05-30T14:30:00.123456Z 00O Running with gitlab-runner 18.7.0\n"
        f"2024-05-30T14:30:01.000001Z 00O {ESC}[0Ksection_start:1717079401:step_script"
        f"\r{ESC}[0KExecuting\n"
        f"2024-05-30T14:30:02.000001Z 01E psql: error: postgres://app:{pw[:half]}\n"
        f"2024-05-30T14:30:02.500000Z 01E+{pw[half:]}@db.corp.net/prod failed\n"
        f"2024-05-30T14:30:03.000001Z 00O {ESC}[0Ksection_end:1717079403:step_script\r{ESC}[0K\n"
    ).encode()
    info = FileInfo(path="/tmp/trace.txt", name="trace.txt")
    assert isinstance(select(info, text), GitLabTraceReader)
    chunks = chunks_of(GitLabTraceReader(), info, text)
    assert [summary(f) for f in findings(scanner, chunks)] == [
        ("gitlab", None, None, "step_script", "2024-05-30T14:30:02+00:00",
         3, "app", "db.corp.net", redact(pw)),
    ]
    assert [(lines_of(c), c.line_map) for c in chunks] == [
        (["Running with gitlab-runner 18.7.0"], None),
        (["Executing"], (2,)),
        ([f"psql: error: postgres://app:{pw}@db.corp.net/prod failed"], (3,)),
    ]


# --------------------------------------------------------------------------- Jenkins
def test_jenkins_console_notes_timestamps_and_stages(scanner: Scanner) -> None:
    pw = make_password()
    note = f"{ESC}[8mha:////4LpM3Gx+AAAAXR+LCAAAAAAAAP9b85aBtbiIQTGjNKU4P08vOT{ESC}[0m"
    text = (
        "[2024-05-30T14:30:00.001Z] Started by user admin\n"
        f"[2024-05-30T14:30:00.002Z] {note}[Pipeline] Start of Pipeline\n"
        "[2024-05-30T14:30:00.003Z] [Pipeline] stage\n"
        "[2024-05-30T14:30:00.004Z] [Pipeline] { (Migrate)\n"
        f"[2024-05-30T14:30:01.500Z] {note}[Pipeline] sh\n"
        f"[2024-05-30T14:30:02.100Z] + psql postgresql://deploy:{pw}@pg.corp.net:5432/app\n"
        "[2024-05-30T14:30:03.000Z] [Pipeline] }\n"
        "[2024-05-30T14:30:03.001Z] [Pipeline] // stage\n"
        "[2024-05-30T14:30:04.000Z] Finished: SUCCESS\n"
    ).encode()
    path = "/var/lib/jenkins/jobs/team/jobs/api/builds/42/log"
    info = FileInfo(path=path, name="log")
    assert isinstance(select(info, text), JenkinsReader)
    chunks = chunks_of(JenkinsReader(), info, text)
    assert [summary(f) for f in findings(scanner, chunks)] == [
        ("jenkins", None, "team/api #42", "Migrate", "2024-05-30T14:30:02+00:00", 6,
         "deploy", "pg.corp.net", redact(pw)),
    ]
    assert lines_of(chunks[0]) == ["Started by user admin", "[Pipeline] Start of Pipeline",
                                   "[Pipeline] stage"]
    assert not any(b"ha:////" in c.data for c in chunks)
    assert jenkins_job("C:\\jenkins\\jobs\\nightly\\builds\\7\\log") == "nightly #7"
    # builds/<n>/log.gz, decompressed by the archive source into a member named "log"
    gz_member = FileInfo(path="/var/lib/jenkins/jobs/nightly/builds/7/log.gz", name="log",
                         member="log")
    assert isinstance(select(gz_member, b"plain text\n"), JenkinsReader)
    [chunk] = chunks_of(JenkinsReader(), gz_member, b"plain text\n")
    assert ci_of(chunk).job == "nightly #7"
    assert isinstance(select(FileInfo(path="/tmp/consoleText", name="consoleText"), b"hello\n"),
                      JenkinsReader)


# --------------------------------------------------------------------------- CircleCI
def test_circleci_step_output(scanner: Scanner) -> None:
    pw = make_password()
    records = [
        {"type": "out", "time": "2024-05-30T14:30:00.100Z", "message": "Starting\r\n",
         "truncated": False},
        {"type": "err", "time": "2024-05-30T14:30:05.900Z",
         "message": f"line one\r\n{ESC}[31mFATAL{ESC}[0m postgres://ci:{pw}@db.corp.net/test\r\n",
         "truncated": False},
    ]
    data = ("[" + ",\n".join(json.dumps(r) for r in records) + "]\n").encode()
    info = FileInfo(path="/tmp/output.json", name="output.json")
    assert isinstance(select(info, data), CircleCiReader)
    chunks = chunks_of(CircleCiReader(), info, data)
    assert [summary(f) for f in findings(scanner, chunks)] == [
        ("circleci", None, None, None, "2024-05-30T14:30:05+00:00",
         2, "ci", "db.corp.net", redact(pw)),
    ]
    truncated = data[: data.index(b"@db.corp.net") + 20]  # cut inside the second record
    rest = chunks_of(CircleCiReader(), info, truncated)
    assert [summary(f)[4:] for f in findings(scanner, rest)] == [
        (None, 2, "ci", "db.corp.net", redact(pw)),
    ]


# --------------------------------------------------------------------------- plain
def test_plain_log_with_overwrites_and_crlf(scanner: Scanner) -> None:
    pw = make_password()
    data = (f"boot\r\nretry postgres://app:{pw}@10.0.0.9/app\r{ESC}[2Kretrying...\r\nok\r\n").encode()
    info = FileInfo(path="/var/log/app/worker.log", name="worker.log", user="alice", owner="alice",
                    mode="0644", mtime="2024-06-01T00:00:00+00:00")
    assert isinstance(select(info, data), PlainLogReader)
    chunks = chunks_of(PlainLogReader(), info, data)
    [f] = findings(scanner, chunks)
    assert summary(f) == ("plain", None, None, None, None, 2, "app", "10.0.0.9", redact(pw))
    p = f.provenance
    assert isinstance(p, CiLogProvenance)
    assert (p.user, p.owner, p.mode, p.mtime) == (
        "alice", "alice", "0644", "2024-06-01T00:00:00+00:00")
    assert lines_of(chunks[0]) == [
        "boot", "retrying...", f"retry postgres://app:{pw}@10.0.0.9/app", "ok"]


# --------------------------------------------------------------------------- bad input
BAD_INPUTS = {
    "invalid-utf8": b"2024-05-30T14:30:00.1234567Z \xff\xfe\xc3 postgres://a:\xe9@h/db\n",
    "nul-bytes": b"2024-05-30T14:30:00.1234567Z ok\x00\x00 more\n" + b"x" * 100,
    "truncated-escape": b"section_start:17170\r\x1b[0",
    "megabyte-line": b"Running with gitlab-runner\n" + b"\r\x1b[0K" * 200_000 + b"a" * 2_000_000,
    "empty": b"",
    "binary": bytes(range(256)) * 64,
    "truncated-json": b'[{"type":"out","message":"postgres://a:',
    "lone-cr": b"\r\r\r\n\r",
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("reader", LOG_AND_HISTORY_READERS, ids=lambda r: r.name)
def test_bad_input_never_raises(reader: Reader, case: str, scanner: Scanner) -> None:
    data = BAD_INPUTS[case]
    info = FileInfo(path=f"/tmp/{case}.log", name=f"{case}.log")
    claimed = reader.matches(info, data[:4096])
    items = list(reader.iter_chunks(info, data))
    assert all(isinstance(i, (Chunk, Skipped)) for i in items)
    for i in items:
        if isinstance(i, Chunk):
            scanner.scan_chunk(i, ScanStats())
    if case == "binary":  # not claimed (the plain-text reader decides); read directly: skipped
        assert not claimed
        assert isinstance(items[0], Skipped) and "binary" in items[0].reason
        assert items == [Skipped(info.path, items[0].reason)]


# --------------------------------------------------------------------------- with pg.env.*
def test_typical_ci_leaks_pgpassword_and_docker_env(scanner: Scanner) -> None:
    """xtrace, `env:` blocks and `docker run -e`, found by pg.env.1/.2."""
    pw, pw2, pw3 = make_password(), make_password(), make_password()
    jenkins = (
        "[Pipeline] { (Deploy)\n"
        f"+ PGPASSWORD={pw} psql -h db.corp.net -U app prod\n"
        "[Pipeline] }\n"
    ).encode()
    console = FileInfo(path="consoleText", name="consoleText")
    got = findings(scanner, chunks_of(JenkinsReader(), console, jenkins))
    assert [(f.line, ci_of(f).step, redact(f.secret)) for f in got] == [
        (2, "Deploy", redact(pw))]
    github = (
        gh("30:00.0000000", "##[group]Run ./migrate.sh")
        + gh("30:00.0000001", "env:")
        + gh("30:00.0000002", f"  PGPASSWORD: {pw2}")
        + gh("30:00.0000003", "##[endgroup]")
        + gh("30:01.0000000",
             f"{ESC}[36;1m+ docker run -e POSTGRES_PASSWORD={pw3} postgres:16{ESC}[0m")
    ).encode()
    member = FileInfo(path="j.zip", name="0_deploy.txt", member="0_deploy.txt")
    got = findings(scanner, chunks_of(GitHubActionsReader(), member, github))
    assert sorted((f.line, ci_of(f).timestamp, redact(f.secret)) for f in got) == sorted([
        (3, "2024-05-30T14:30:00+00:00", redact(pw2)),
        (5, "2024-05-30T14:30:01+00:00", redact(pw3)),
    ])
