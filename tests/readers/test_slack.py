"""Slack exports, zipped or unzipped: every message part read, attributed to channel, sender,
time and thread; files the layout does not use read like any file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import make_password
from filescan import scan_items, shared_scanner
from provenances import chat_of

from pgsweep.core.models import ChatProvenance, Chunk, FileProvenance, Finding
from pgsweep.findings.fingerprint import redact
from pgsweep.readers.slack import unescape
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource

T0 = 1704200000  # 2024-01-02T12:53:20Z


def export_files(pw: list[str]) -> dict[str, bytes]:
    """An export as Slack lays it out, with a password in each kind of message part."""
    users = [
        {"id": "U01", "name": "alice", "real_name": "Alice Adams"},
        {"id": "U02", "name": "bob", "profile": {"display_name": "Bob B"}},
    ]
    channels = [{"id": "C01", "name": "ops", "purpose": {"value": "operations"}}]
    day = [
        {"type": "message", "user": "U01", "ts": f"{T0}.000100",
         "text": (f"new db: &lt;<postgres://app:{pw[0]}@db.corp.net/app|"
                  f"postgres://app:{pw[0]}@db.corp.net/app>&gt; cc <@U02>")},
        {"type": "message", "user": "U02", "ts": f"{T0 + 60}.000200",
         "thread_ts": f"{T0}.000100", "text": f"PGPASSWORD='a&amp;{pw[1]}' psql -h db.corp.net",
         "edited": {"user": "U02", "ts": f"{T0 + 120}.000000"}},
        {"type": "message", "user": "U01", "ts": f"{T0 + 180}.000300", "text": "see the block",
         "blocks": [{"type": "rich_text", "elements": [
             {"type": "rich_text_preformatted", "elements": [
                 {"type": "text", "text": f"postgresql://deploy:{pw[2]}@pg.corp.net:5432/main"}]},
         ]}]},
        {"type": "message", "subtype": "bot_message", "username": "deploybot",
         "ts": f"{T0 + 240}.000400", "text": "",
         "attachments": [{"fallback": "deploy failed",
                          "text": f"DATABASE_URL=postgres://ci:{pw[3]}@ci-db.corp.net/ci"}]},
    ]
    return {
        "users.json": json.dumps(users).encode(),
        "channels.json": json.dumps(channels).encode(),
        "ops/2024-01-02.json": json.dumps(day, indent=4).encode(),
        "ops/2024-01-03.json": b'[{"type": "message", "user": "U01", "text": "postgres://x:' +
                               pw[4].encode() + b'@h.corp.net/d", "ts": "17042',  # truncated
        "integration_logs.json": json.dumps({"logs": [
            {"reason": f"postgres://int:{pw[5]}@int.corp.net/i"}]}).encode(),
    }


def summary(f: Finding) -> tuple[object, ...]:
    p = f.provenance
    if isinstance(p, ChatProvenance):
        return ("chat", p.member, f.line, p.channel, p.author, p.timestamp, p.thread, p.part,
                p.edited, f.user, redact(f.secret))
    assert isinstance(p, FileProvenance)
    return ("file", p.member, f.line, p.reader, f.user, redact(f.secret))


def expected(pw: list[str], prefix: str = "") -> list[tuple[object, ...]]:
    day = f"{prefix}ops/2024-01-02.json"
    return sorted([
        ("chat", day, 2, "ops", "alice", "2024-01-02T12:53:20+00:00", None, "text", None,
         "app", redact(pw[0])),
        ("chat", day, 8, "ops", "bob", "2024-01-02T12:54:20+00:00", "2024-01-02T12:53:20+00:00",
         "text", "2024-01-02T12:55:20+00:00", None, redact("a&" + pw[1])),
        ("chat", day, 19, "ops", "alice", "2024-01-02T12:56:20+00:00", None, "blocks", None,
         "deploy", redact(pw[2])),
        ("chat", day, 41, "ops", "deploybot", "2024-01-02T12:57:20+00:00", None, "attachment",
         None, "ci", redact(pw[3])),
        ("file", f"{prefix}ops/2024-01-03.json", 1, "text", "x", redact(pw[4])),
        ("file", f"{prefix}integration_logs.json", 1, "text", "int", redact(pw[5])),
    ], key=str)


def scan_source(source: FileSource) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    found, stats = scan_items(shared_scanner(), source.iter_items())
    return sorted((summary(f) for f in found), key=str), stats.skipped


def make_zip(files: dict[str, bytes], prefix: str = "",
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(prefix + name, data)
    return buf.getvalue()


@pytest.mark.parametrize("prefix", ["", "Acme Slack export Jan 2 2024/"])
def test_zipped_export_in_memory_and_streamed(tmp_path: Path, prefix: str) -> None:
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "export.zip"
    files = export_files(pw)
    path.write_bytes(make_zip(files, prefix, zipfile.ZIP_STORED))
    assert scan_source(FileSource(path)) == (expected(pw, prefix), {})
    # Above the file size limit the zip is read member by member from disk.
    small = ArchiveLimits(max_member_size=max(map(len, files.values())))
    assert path.stat().st_size > small.max_member_size
    assert scan_source(FileSource(path, limits=small)) == (expected(pw, prefix), {})


def test_unzipped_export_folder(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    root = tmp_path / "exports" / "acme"
    for name, data in export_files(pw).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "ops" / "latest.json").symlink_to(root / "ops" / "2024-01-02.json")
    found, skipped = scan_source(FileSource(tmp_path))  # the export is found inside a folder
    assert found == expected(pw)
    assert skipped == {"symlink": 1}
    assert scan_source(FileSource(root))[0] == expected(pw)


def test_export_inside_another_archive_keeps_its_attribution(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    outer = tmp_path / "backup.zip"
    outer.write_bytes(make_zip({"slack.zip": make_zip(export_files(pw))}))
    found, skipped = scan_source(FileSource(outer))
    assert [row[:2] for row in found] == [
        (kind, f"slack.zip!{member}") for kind, member, *_ in expected(pw)]
    assert skipped == {}


def test_slack_markup_is_undone() -> None:
    users = {"U1": "alice"}
    assert unescape("a &lt;b&gt; &amp;lt; <@U1> <@U9> <#C1|ops> <!here> <!subteam^S1|@db>",
                    users) == "a <b> &lt; @alice @U9 #ops @here @@db"
    assert unescape("<https://x.example/a?b=1&amp;c=2|docs> <mailto:a@b.example|a@b.example>",
                    users) == "https://x.example/a?b=1&c=2 docs mailto:a@b.example a@b.example"
    assert unescape("<postgres://u:p@h/d>", users) == "postgres://u:p@h/d"


def test_cli_json_names_channel_user_time_and_thread(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip(export_files(pw)))
    out = subprocess.run([sys.executable, "-m", "pgsweep", "scan", str(path), "--format", "json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    records = json.loads(out.stdout)["findings"]
    reply = next(r for r in records if r["provenance"].get("thread"))
    assert reply["provenance"] == {
        "path": str(path), "platform": "slack", "member": "ops/2024-01-02.json",
        "channel": "ops", "author": "bob", "timestamp": "2024-01-02T12:54:20+00:00",
        "thread": "2024-01-02T12:53:20+00:00", "part": "text",
        "edited": "2024-01-02T12:55:20+00:00", "owner": reply["provenance"]["owner"],
        "mode": reply["provenance"]["mode"], "mtime": reply["provenance"]["mtime"],
        "kind": "chat"}
    assert reply["source"] == "chat"
    assert reply["date"] == "2024-01-02T12:54:20+00:00"
    assert all(p not in out.stdout for p in pw)


def _day_export(tmp_path: Path, day: list[dict[str, object]]) -> Path:
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip({
        "users.json": json.dumps([{"id": "U01", "name": "alice"},
                                  {"id": "U02", "name": "bob"}]).encode(),
        "channels.json": b'[{"id": "C01", "name": "ops"}]',
        "ops/2024-01-02.json": json.dumps(day, indent=4).encode()}))
    return path


def test_a_day_file_is_one_chunk_with_a_record_per_message_part(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(6)]
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip(export_files(pw)))
    chunks = [c for c in FileSource(path).iter_items()
              if isinstance(c, Chunk) and isinstance(c.provenance, ChatProvenance)]
    assert len(chunks) == 1
    (day,) = chunks
    assert chat_of(day).author is None and chat_of(day).member == "ops/2024-01-02.json"
    records = day.records
    assert records is not None
    parts = [(line, p.author, p.part) for line, p in zip(
        records.lines, map(records.provenance_of, range(len(records.starts))), strict=True)
        if isinstance(p, ChatProvenance)]
    assert parts == [(1, "alice", "text"), (2, "bob", "text"), (3, "alice", "text"),
                     (4, "alice", "blocks"), (6, "deploybot", "attachment")]
    assert [day.data[s:].split(b"\n", 1)[0][:12] for s in records.starts] == [
        b"new db: <pos", b"PGPASSWORD='", b"see the bloc", b"postgresql:/", b"DATABASE_URL"]
    # each record's lines point at the line of the day file where its message starts
    assert day.line_map == (2, 8, 19, 19, 19, 41, 41)


def test_no_window_or_parser_context_reaches_into_another_message(tmp_path: Path) -> None:
    """Alice's PGHOST and PGUSER do not become the host and user of Bob's password in the
    next message (after non-ASCII text: records are bounded by bytes, not characters); the
    same lines in one message do name them."""
    pw = make_password()
    apart = _day_export(tmp_path, [
        {"type": "message", "user": "U01", "ts": f"{T0}.000100",
         "text": "Grüße ✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓✓\nexport PGHOST=db1.corp.example\nexport PGUSER=admin"},
        {"type": "message", "user": "U02", "ts": f"{T0 + 60}.000200",
         "text": f"export PGPASSWORD={pw}"}])
    found, _ = scan_items(shared_scanner(), FileSource(apart).iter_items())
    assert [(f.line, f.provenance.author, f.user, f.hosts, f.secret) for f in found
            if isinstance(f.provenance, ChatProvenance)] == [(8, "bob", None, (), pw)]
    together = _day_export(tmp_path, [
        {"type": "message", "user": "U01", "ts": f"{T0}.000100",
         "text": f"export PGHOST=db1.corp.example\nexport PGUSER=admin\nexport PGPASSWORD={pw}"}])
    found, _ = scan_items(shared_scanner(), FileSource(together).iter_items())
    assert [(f.line, f.provenance.author, f.user, f.hosts, f.secret) for f in found
            if isinstance(f.provenance, ChatProvenance)] == [
        (2, "alice", "admin", ("db1.corp.example",), pw)]


def test_a_decoded_value_keeps_its_message(tmp_path: Path) -> None:
    """A connection string whose `@` is JSON-escaped in Bob's message is found only in the
    decoded text (a derived chunk), and is still attributed to Bob."""
    pw = make_password()
    path = _day_export(tmp_path, [
        {"type": "message", "user": "U01", "ts": f"{T0}.000100", "text": "config below"},
        {"type": "message", "user": "U02", "ts": f"{T0 + 60}.000200",
         "text": '{"url": "postgres://app:' + pw + '\\u0040db.corp.net/app"}'}])
    found, _ = scan_items(shared_scanner(), FileSource(path).iter_items())
    assert [(f.line, f.provenance.author, f.user, f.hosts, f.secret) for f in found
            if isinstance(f.provenance, ChatProvenance)] == [
        (8, "bob", "app", ("db.corp.net",), pw)]
