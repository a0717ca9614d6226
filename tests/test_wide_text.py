"""Text saved as UTF-16 or UTF-32 (Windows tools, PowerShell's `>`) is read as the text it
is: in a folder, in git history, staged and in the working tree; binary data stays binary."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import make_password, run_cli
from gitrepo import GitRepo, uri

from pgsweep.findings.fingerprint import redact

ENCODINGS = {
    "utf-16-le-bom": lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
    "utf-16-be-bom": lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
    "utf-16-le": lambda s: s.encode("utf-16-le"),  # no byte order mark
    "utf-16-be": lambda s: s.encode("utf-16-be"),
    "utf-32": lambda s: s.encode("utf-32"),  # with its byte order mark
}


def wide_file(password: str) -> str:
    return f"# exported settings\r\nDATABASE_URL={uri('app', password)}\r\n"


def places(res: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str, str, str]]:
    assert "Traceback" not in res.stderr, res.stderr
    doc = json.loads(res.stdout)
    return sorted((f["path"].rsplit("/", 1)[-1], f["line"], f["user"], f["host"], f["secret"])
                  for f in doc["findings"])


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_wide_text_file_in_a_folder_is_read(tmp_path: Path, encoding: str) -> None:
    pw, other = make_password(), make_password()
    (tmp_path / "settings.env").write_bytes(ENCODINGS[encoding](wide_file(pw)))
    (tmp_path / "plain.env").write_text(f"DATABASE_URL={uri('web', other)}\n")
    res = run_cli("scan", str(tmp_path), "--no-store", "-f", "json")
    assert places(res) == [
        ("plain.env", 1, "web", "db.prod.acme-corp.net", redact(other)),
        ("settings.env", 2, "app", "db.prod.acme-corp.net", redact(pw)),
    ]
    assert pw not in res.stdout + res.stderr


def test_wide_text_in_history_staged_and_worktree_is_read(tmp_path: Path) -> None:
    committed, staged, worktree = make_password(), make_password(), make_password()
    r = GitRepo(tmp_path / "repo")
    r.write("a.ps1.out", ENCODINGS["utf-16-le-bom"](wide_file(committed)))
    r.commit("export")
    r.write("b.ps1.out", ENCODINGS["utf-16-le"](wide_file(staged)))
    r.git("add", "b.ps1.out")
    history = run_cli("scan", str(r.root), "--no-store", "-f", "json")
    assert places(history) == [
        ("a.ps1.out", 2, "app", "db.prod.acme-corp.net", redact(committed))]
    assert places(run_cli("scan", str(r.root), "--staged", "--no-store", "-f", "json")) == [
        ("b.ps1.out", 2, "app", "db.prod.acme-corp.net", redact(staged))]
    r.write("c.ps1.out", ENCODINGS["utf-16-be-bom"](wide_file(worktree)))
    found = places(run_cli("scan", str(r.root), "--worktree", "--no-store", "-f", "json"))
    assert ("c.ps1.out", 2, "app", "db.prod.acme-corp.net", redact(worktree)) in found


def test_utf8_text_that_starts_like_a_byte_order_mark_stays_utf8(tmp_path: Path) -> None:
    """`\\xff\\xfe` then UTF-8 text without a NUL byte: no UTF-16 text is like that."""
    pw = make_password()
    (tmp_path / "app.env").write_bytes(
        b"\xff\xfe\xfd not text\n" + f"DATABASE_URL={uri('app', pw)}\n".encode())
    res = run_cli("scan", str(tmp_path), "--no-store", "-f", "json")
    assert places(res) == [("app.env", 2, "app", "db.prod.acme-corp.net", redact(pw))]


def test_binary_with_nul_bytes_is_still_binary(tmp_path: Path) -> None:
    """Little-endian 32-bit words hold NUL bytes on both sides of a 16-bit unit: no UTF-16."""
    pw = make_password()
    words = b"".join(n.to_bytes(4, "little") for n in range(1, 1025))
    data = words + f"\nDATABASE_URL={uri('app', pw)}\n".encode()
    (tmp_path / "blob.dat").write_bytes(data)
    res = run_cli("scan", str(tmp_path), "--no-store", "-f", "json")
    assert places(res) == []
    assert json.loads(res.stdout)["stats"]["skipped"] == {"binary": 1}
