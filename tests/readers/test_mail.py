"""Mail: mbox, Maildir and .eml messages built with the stdlib's own MIME writer, read with
each part decoded and each finding naming From, Date, Subject and Message-ID."""

from __future__ import annotations

import io
import json
import mailbox
import subprocess
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

from conftest import make_password
from filescan import scan_items, shared_scanner

from pgsweep.core.models import Finding, MailProvenance
from pgsweep.findings.fingerprint import redact
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource


def message(n: int, body: str, cte: str = "quoted-printable", charset: str = "utf-8",
            attachments: dict[str, bytes] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Dev {n} <dev{n}@corp.example>"
    msg["To"] = "ops@corp.example"
    msg["Subject"] = f"db access {n}"
    msg["Date"] = f"Tue, 02 Jan 2024 1{n}:00:00 +0200"
    msg["Message-ID"] = f"<m{n}@corp.example>"
    msg.set_content(body, charset=charset, cte=cte)
    for name, data in (attachments or {}).items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def planted(pw: list[str]) -> list[EmailMessage]:
    """A quoted-printable body (a long line and `=` in the password), a latin-1 base64 body,
    a base64 `.env` attachment, and a zip attachment holding a `.pgpass`."""
    qp_body = ("Hi team, the new primary is up. Connection string below, it is long enough to "
               "be wrapped by quoted-printable:\n"
               f"postgresql://app:{pw[0]}=x@db-primary.corp.example:5432/app?sslmode=require\n"
               "Ciao!\n")
    latin = f"Grüße, host=pg.corp.example user=rep password={pw[1]} dbname=rep\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("home/.pgpass", f"pg.corp.example:5432:*:backup:{pw[3]}\n")
    return [
        message(1, qp_body),
        message(2, latin, cte="base64", charset="iso-8859-1"),
        message(3, "see attached\n", attachments={
            ".env": f"DATABASE_URL=postgres://svc:{pw[2]}@svc.corp.example/svc\n".encode(),
            "creds.zip": buf.getvalue()}),
    ]


def summary(f: Finding) -> tuple[object, ...]:
    p = f.provenance
    assert isinstance(p, MailProvenance)
    return (p.member, p.sender, p.timestamp, p.subject, p.message_id, p.part, p.reader,
            f.user, f.host, redact(f.secret))


def expected(pw: list[str], places: list[str | None]) -> list[tuple[object, ...]]:
    def head(n: int) -> tuple[object, ...]:
        return (places[n - 1], f"Dev {n} <dev{n}@corp.example>",
                f"2024-01-02T{8 + n:02d}:00:00+00:00", f"db access {n}", f"<m{n}@corp.example>")
    return sorted([
        (*head(1), "body", "text", "app", "db-primary.corp.example", redact(pw[0] + "=x")),
        (*head(2), "body", "text", "rep", "pg.corp.example", redact(pw[1])),
        (*head(3), "attachment .env", "dotenv", "svc", "svc.corp.example", redact(pw[2])),
        (*head(3), "attachment creds.zip!home/.pgpass", "pgpass", "backup", "pg.corp.example",
         redact(pw[3])),
    ], key=str)


def scan(path: Path, limits: ArchiveLimits | None = None) -> tuple[list[tuple[object, ...]],
                                                                   dict[str, int]]:
    found, stats = scan_items(shared_scanner(), FileSource(path, limits=limits).iter_items())
    return sorted((summary(f) for f in found), key=str), stats.skipped


def write_mbox(path: Path, msgs: list[EmailMessage]) -> None:
    box = mailbox.mbox(path)
    for m in msgs:
        box.add(m)
    box.close()


def test_mbox_parts_decoded_and_attributed(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(4)]
    path = tmp_path / "Archive.mbox"
    write_mbox(path, planted(pw))
    raw = path.read_bytes()
    assert b"=3Dx@db-primary" in raw  # the password really is quoted-printable on disk
    assert pw[2].encode() not in raw  # and the attachment base64
    want = expected(pw, ["message 1", "message 2", "message 3", "message 3"])
    assert scan(path) == (want, {})
    # Above the size limit the mbox is read message by message.
    small = ArchiveLimits(max_member_size=max(len(m.as_bytes()) for m in planted(pw)) + 200)
    assert path.stat().st_size > small.max_member_size
    assert scan(path, small) == (want, {})


def test_maildir_and_eml(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(4)]
    box = mailbox.Maildir(tmp_path / "Maildir")
    keys = [box.add(m) for m in planted(pw)]
    box.close()
    found, skipped = scan(tmp_path / "Maildir")
    assert (found, skipped) == (expected(pw, [None] * 4), {})
    assert len(keys) == 3
    eml = tmp_path / "forwarded.eml"
    eml.write_bytes(planted(pw)[0].as_bytes())
    assert scan(eml) == ([row for row in expected(pw, [None] * 4) if row[4] == "<m1@corp.example>"],
                         {})


def test_an_oversized_message_is_a_counted_skip(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(4)]
    msgs = planted(pw)
    msgs.insert(1, message(9, "x" * 50_000 + "\n", cte="7bit"))
    path = tmp_path / "big.mbox"
    write_mbox(path, msgs)
    found, skipped = scan(path, ArchiveLimits(max_member_size=20_000))
    assert [row[0] for row in found] == ["message 1", "message 3", "message 4", "message 4"]
    assert skipped == {"too large": 1}


def test_cli_json_names_the_message(tmp_path: Path) -> None:
    pw = [make_password() for _ in range(4)]
    path = tmp_path / "inbox.mbox"
    write_mbox(path, planted(pw))
    out = subprocess.run([sys.executable, "-m", "pgsweep", "scan", str(path), "--format", "json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    record = next(r for r in json.loads(out.stdout)["findings"]
                  if r["provenance"]["part"] == "attachment .env")
    assert (record["source"], record["path"], record["date"]) == (
        "mail", f"{path}!message 3", "2024-01-02T11:00:00+00:00")
    assert {k: record["provenance"][k] for k in ("sender", "subject", "message_id", "reader")} == {
        "sender": "Dev 3 <dev3@corp.example>", "subject": "db access 3",
        "message_id": "<m3@corp.example>", "reader": "dotenv"}
    assert all(p not in out.stdout for p in pw)


def test_a_part_is_read_in_its_own_charset(tmp_path: Path) -> None:
    """A latin-1 body's `ä` is the password's `ä`, not an undecodable byte."""
    pw = make_password()[:-2] + "ä7"
    eml = tmp_path / "latin.eml"
    eml.write_bytes(message(
        4, f"host=pg.corp.example user=rep password={pw} dbname=rep\n",
        cte="quoted-printable", charset="iso-8859-1").as_bytes())
    found, skipped = scan(eml)
    assert ([(row[7], row[8], row[9]) for row in found], skipped) == (
        [("rep", "pg.corp.example", redact(pw))], {})
