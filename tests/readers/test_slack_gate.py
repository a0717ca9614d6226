"""A Slack export read through the JSON gate finds exactly what reading every message finds:
day files and messages the gate clears hold no keyword in any decoded string."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from conftest import make_password
from filescan import scan_items, shared_scanner
from provenances import chat_of
from test_slack import make_zip, summary

from pgsweep.core.models import ChatProvenance, Chunk
from pgsweep.detectors.json_gate import JsonGate, encodings
from pgsweep.sources.files import FileSource

T0 = 1704200000


def message(i: int, text: str, **extra: object) -> dict[str, object]:
    return {"type": "message", "user": "U01" if i % 2 else "U02", "ts": f"{T0 + 60 * i}.000100",
            "text": text, **extra}


def chatter(n: int) -> list[dict[str, object]]:
    return [message(i, f"deploy {i} went fine, retry budget {i % 7} & cache <warm>")
            for i in range(n)]


def day_files(pw: list[str]) -> dict[str, bytes]:
    """Day files in Slack's own layout (and one that is not), with passwords in every kind
    of message part, written as Slack escapes them, among messages without any."""
    days: dict[str, list[dict[str, object]]] = {
        "2024-01-01": chatter(40),
        "2024-01-02": [*chatter(30), message(
            30, f"new db: &lt;<postgres://app:{pw[0]}@db.corp.net/app|db>&gt;"), *chatter(5)],
        "2024-01-03": [*chatter(12), message(
            12, "see the block", blocks=[{"type": "rich_text", "elements": [
                {"type": "rich_text_preformatted", "elements": [
                    {"type": "text", "text": f"postgresql://deploy:{pw[1]}@pg.corp.net/main"}]}]}]),
            *chatter(3), message(16, "", attachments=[
                {"fallback": "x", "text": f"PGPASSWORD='{pw[2]}' psql -h ci-db.corp.net"}]),
            *chatter(9)],
        "2024-01-04": [*chatter(7), message(
            7, "edited", edited={"user": "U01", "ts": f"{T0}.0"},
            files=[{"name": "app.env", "preview": f"DATABASE_URL=postgres://f:{pw[3]}@db.corp.net/f"}]),
            message(8, 'DB_CONFIG={"user": "svc", "password": "' + pw[4]
                    + '", "host": "db7.corp.net", "port": 5432}')],
    }
    files = {
        "users.json": json.dumps([{"id": "U01", "name": "alice"},
                                  {"id": "U02", "name": "bob"}]).encode(),
        "channels.json": b'[{"id": "C01", "name": "ops"}]',
    }
    for day, messages in days.items():
        files[f"ops/{day}.json"] = json.dumps(messages, indent=4).encode()
    # as exporters that escape every slash write it
    escaped = json.dumps([*chatter(3), message(3, f"postgres://esc:{pw[5]}@esc.corp.net/e")],
                         indent=4).replace("/", "\\/")
    files["ops/2024-01-05.json"] = escaped.encode()
    # not Slack's own layout (one line): read message by message
    files["dev/2024-01-06.json"] = json.dumps(
        [*chatter(4), message(4, f"jdbc:postgresql://h.corp.net/d?user=u&password={pw[6]}")],
    ).encode()
    return files


def scan(path: Path, gated: bool) -> tuple[list[tuple[object, ...]], list[Chunk]]:
    source = FileSource(path)
    if gated:
        source.use_json_gate(shared_scanner().detector.json_gate())
    items = list(source.iter_items())
    found, stats = scan_items(shared_scanner(), items)
    assert stats.skipped == {}
    chunks = [c for c in items if isinstance(c, Chunk) and isinstance(c.provenance, ChatProvenance)]
    return sorted(map(summary, found), key=str), chunks


def test_the_gate_changes_nothing_but_what_is_decoded(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(7)]
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip(day_files(pw), compression=zipfile.ZIP_STORED))
    everything, all_decoded = scan(path, gated=False)
    gated, chunks = scan(path, gated=True)
    assert gated == everything
    assert len(gated) == 7 and len({row[-1] for row in gated}) == 7
    lines = {row[1]: row[2] for row in gated}
    assert lines["ops/2024-01-02.json"] == 2 + 6 * 30  # the 31st message's first line
    # the day without a keyword is read as it is; the others only around their hits
    cleared = [c for c in chunks if c.records is None]
    assert [chat_of(c).member for c in cleared] == ["ops/2024-01-01.json"]
    assert sum(len(c.records.starts) for c in chunks if c.records) < sum(
        len(c.records.starts) for c in all_decoded if c.records)


def test_a_mention_whose_name_holds_a_keyword_turns_the_gate_off(tmp_path: Path) -> None:
    pw = make_password()
    files = {
        "users.json": json.dumps([{"id": "U01", "name": "postgres://ops:" + pw}]).encode(),
        "channels.json": b'[{"id": "C01", "name": "ops"}]',
        "ops/2024-01-02.json": json.dumps(
            [*chatter(3), message(3, "<@U01>@db.corp.net/app")], indent=4).encode(),
    }
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip(files))
    gated, chunks = scan(path, gated=True)
    assert gated == scan(path, gated=False)[0]
    assert all(c.records is not None for c in chunks)


def test_keywords_as_raw_json_may_write_them() -> None:
    assert encodings(b"postgres://") == {b"postgres://", b"postgres:\\//", b"postgres:/\\/",
                                         b"postgres:\\/\\/"}
    assert encodings(b'password"') == {b'password\\"'}
    assert encodings(b"<password>") == {b"<password>", b"&lt;password>", b"<password&gt;",
                                        b"&lt;password&gt;"}
    gate = JsonGate([b"postgres://", b'password"'])
    assert gate.may_hold(b'["x", "POSTGRES:\\/\\/u:p@h"]')
    assert gate.may_hold(b'{"t": "{\\"password\\": 1}"}')
    # a string that ends after "password" holds no `password"`
    assert not gate.may_hold(b'["postgres: a word, postgres:\\\\x", "password"]')
    # what the raw text cannot show is always let through
    assert gate.may_hold(b'["\\u0070ostgres://u:p@h"]')
    assert gate.may_hold('["nothing"]'.encode("utf-16-le"))
    assert gate.may_hold(b'{"kind": "Secret", "data": {"p": "cGFzcw=="}}')
