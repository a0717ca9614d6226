"""Shell history readers: bash, zsh (metafied bytes), fish, PowerShell, other line histories."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import make_password
from provenances import history_of

from pgsweep.core.models import Chunk, Finding, HistoryProvenance, ScanStats, Skipped
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.fingerprint import redact
from pgsweep.findings.pipeline import Scanner
from pgsweep.readers import registry
from pgsweep.readers.interface import FileInfo, Reader
from pgsweep.readers.logs_and_histories import LOG_AND_HISTORY_READERS, reader_for
from pgsweep.readers.shell_history import fish_unescape, shell_of, unmetafy

EPOCH = 1717079400  # 2024-05-30T14:30:00Z


@pytest.fixture(scope="module")
def scanner(all_signatures: list[Signature]) -> Scanner:
    return Scanner(all_signatures)


def metafy(raw: bytes) -> bytes:
    """zsh's encoding (Src/utils.c metafy): NUL and 0x83..0xA2 become 0x83, byte ^ 0x20."""
    out = bytearray()
    for b in raw:
        if b == 0 or 0x83 <= b <= 0xA2:
            out += bytes((0x83, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def info_for(path: Path, **meta: str) -> FileInfo:
    return FileInfo(path=str(path), name=path.name, **meta)


def select(info: FileInfo, data: bytes) -> Reader | None:
    return next((r for r in LOG_AND_HISTORY_READERS if r.matches(info, data[:4096])), None)


def read(path: Path, **meta: str) -> tuple[Reader, list[Chunk]]:
    """Recognise and read a real file as the registry would."""
    data = path.read_bytes()
    info = info_for(path, **meta)
    reader = select(info, data)
    assert reader is not None, path
    items = list(reader.iter_chunks(info, data))
    assert all(isinstance(i, Chunk) for i in items), items
    return reader, [i for i in items if isinstance(i, Chunk)]


def findings(scanner: Scanner, chunks: Iterable[Chunk]) -> list[tuple[object, ...]]:
    out: list[Finding] = []
    for c in chunks:
        out.extend(scanner.scan_chunk(c, ScanStats()))
    rows: list[tuple[object, ...]] = []
    for f in out:
        p = f.provenance
        assert isinstance(p, HistoryProvenance)
        rows.append((p.shell, p.timestamp, f.line, f.user, f.host, redact(f.secret)))
    return rows


def lines_of(chunk: Chunk) -> list[str]:
    return chunk.data.decode("utf-8", "surrogateescape").split("\n")


# --------------------------------------------------------------------------- bash
def test_bash_timestamps_and_lithist_entries(scanner: Scanner, tmp_path: Path) -> None:
    pw, pw2, pw3 = make_password(), make_password(), make_password()
    history = tmp_path / "home" / "alice" / ".bash_history"
    history.parent.mkdir(parents=True)
    history.write_text(
        f"ls -la\n"                                            # 1: before any timestamp
        f"#{EPOCH}\n"                                          # 2
        f"psql postgres://app:{pw}@db.corp.net/prod\n"         # 3
        f"#{EPOCH + 60}\n"                                     # 4
        f"for i in 1 2; do\n"                                  # 5: lithist multi-line entry
        f"  pg_dump postgresql://dump:{pw2}@10.1.1.1/app\n"     # 6
        f"done\n"                                              # 7
        f"#{EPOCH + 120}\n"                                    # 8
        f"#not-a-timestamp postgres://x:{pw3}@h.corp.net/d\n"  # 9: a comment, scanned
    )
    reader, chunks = read(history, user="alice", owner="alice", mode="0600",
                          mtime="2024-06-01T08:00:00+00:00")
    assert reader.name == "bash-history"
    assert findings(scanner, chunks) == [
        ("bash", "2024-05-30T14:30:00+00:00", 3, "app", "db.corp.net", redact(pw)),
        ("bash", "2024-05-30T14:31:00+00:00", 6, "dump", "10.1.1.1", redact(pw2)),
        ("bash", "2024-05-30T14:32:00+00:00", 9, "x", "h.corp.net", redact(pw3)),
    ]
    assert [(lines_of(c), c.line_map, history_of(c).timestamp) for c in chunks][:3] == [
        (["ls -la"], None, None),
        ([f"psql postgres://app:{pw}@db.corp.net/prod"], (3,), "2024-05-30T14:30:00+00:00"),
        (["for i in 1 2; do", f"  pg_dump postgresql://dump:{pw2}@10.1.1.1/app", "done"],
         (5, 6, 7), "2024-05-30T14:31:00+00:00"),
    ]
    p = chunks[0].provenance
    assert isinstance(p, HistoryProvenance)
    assert (p.path, p.user, p.owner, p.mode, p.mtime) == (
        str(history), "alice", "alice", "0600", "2024-06-01T08:00:00+00:00")


def test_bash_without_timestamps_is_one_chunk(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    history = tmp_path / ".bash_history"
    history.write_bytes(f"cd /srv\r\nexport DATABASE_URL=postgres://web:{pw}@pg.corp.net/web\n".encode())
    _, chunks = read(history)
    assert findings(scanner, chunks) == [("bash", None, 2, "web", "pg.corp.net", redact(pw))]
    assert len(chunks) == 1 and chunks[0].line_map is None


def test_history_recognised_by_content_and_other_names(tmp_path: Path) -> None:
    hist = tmp_path / "my_hist"
    hist.write_text(f"#{EPOCH}\nls\n")
    assert read(hist)[0].name == "bash-history"
    py = tmp_path / ".python_history"
    py.write_text("import os\n")
    reader, chunks = read(py)
    assert reader.name == "bash-history" and history_of(chunks[0]).shell == "python"
    assert shell_of(".bash_history-01234.tmp") == "bash"
    assert shell_of(".node_repl_history") == "node_repl"


# --------------------------------------------------------------------------- zsh
def test_zsh_extended_metafied_and_continued(scanner: Scanner, tmp_path: Path) -> None:
    secret = make_password() + "—" + "â" + "Ω"  # em dash e2 80 94, â c3 a2: both metafied
    pw2 = make_password()
    entries = [
        f": {EPOCH}:0;cd ~/src".encode(),
        f": {EPOCH + 5}:2;psql 'postgresql://app:{secret}@db.corp.net:5432/prod'".encode(),
        f": {EPOCH + 9}:0;echo start \\\nPGURL=postgres://ops:{pw2}@10.2.3.4/ops \\\nrun".encode(),
    ]
    raw = b"\n".join(metafy(e) for e in entries) + b"\n"
    assert b"\xe2\x80\x83\xb4" in raw and b"\xc3\x83\x82" in raw  # the bytes zsh writes
    history = tmp_path / ".zsh_history"
    history.write_bytes(raw)
    reader, chunks = read(history)
    assert reader.name == "zsh-history"
    assert findings(scanner, chunks) == [
        ("zsh", "2024-05-30T14:30:05+00:00", 2, "app", "db.corp.net", redact(secret)),
        ("zsh", "2024-05-30T14:30:09+00:00", 4, "ops", "10.2.3.4", redact(pw2)),
    ]
    assert [(lines_of(c), c.line_map) for c in chunks] == [
        (["cd ~/src"], None),
        ([f"psql 'postgresql://app:{secret}@db.corp.net:5432/prod'"], (2,)),
        (["echo start ", f"PGURL=postgres://ops:{pw2}@10.2.3.4/ops ", "run"], (3, 4, 5)),
    ]
    # The decoded secret is exact: the finding's secret equals what was typed.
    f = scanner.scan_chunk(chunks[1], ScanStats())[0]
    assert f.secret == secret


def test_unmetafy_exact_bytes() -> None:
    assert unmetafy(b"Geheim\xe2\x80\x83\xb42024") == "Geheim—2024".encode()
    assert unmetafy(b"\xc3\x83\x82") == "â".encode()
    assert unmetafy(b"a\x83\x20b") == b"a\x00b"           # NUL
    assert unmetafy(b"\x83\xa3\x83\xa3") == b"\x83\x83"   # Meta itself, twice
    assert unmetafy(b"cut\x83") == b"cut"                  # truncated pair
    everything = bytes(range(256))
    assert unmetafy(metafy(everything)) == everything


def test_zsh_sessions_and_plain_lines(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    sessions = tmp_path / ".zsh_sessions"
    sessions.mkdir()
    history = sessions / "0E5A8F3C-1111-2222-3333-444455556666.history"
    history.write_text(f"ls\npsql postgresql://mac:{pw}@pg.corp.net/db\n")
    reader, chunks = read(history)
    assert reader.name == "zsh-history"
    assert findings(scanner, chunks) == [("zsh", None, 2, "mac", "pg.corp.net", redact(pw))]


# --------------------------------------------------------------------------- fish
def test_fish_entries_escapes_and_when(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    history = tmp_path / ".local" / "share" / "fish" / "fish_history"
    history.parent.mkdir(parents=True)
    history.write_text(
        "- cmd: ls\n"
        f"  when: {EPOCH}\n"
        "- cmd: echo 'a\\\\b:c'\\npsql -h db.corp.net\\n"
        f"psql postgres://fish:{pw}@db.corp.net/prod\n"
        f"  when: {EPOCH + 30}\n"
        "  paths:\n"
        "    - /etc/hosts\n"
    )
    reader, chunks = read(history)
    assert reader.name == "fish-history"
    assert findings(scanner, chunks) == [
        ("fish", "2024-05-30T14:30:30+00:00", 3, "fish", "db.corp.net", redact(pw)),
    ]
    assert [(lines_of(c), c.line_map) for c in chunks] == [
        (["ls"], None),
        (["echo 'a\\b:c'", "psql -h db.corp.net",
          f"psql postgres://fish:{pw}@db.corp.net/prod"], (3, 3, 3)),
    ]


def test_fish_unescape_only_backslash_and_newline() -> None:
    assert fish_unescape("a\\\\b\\nc") == "a\\b\nc"
    assert fish_unescape("keep \\t and \\x41 and \\") == "keep \\t and \\x41 and \\"
    assert fish_unescape("\\\\n") == "\\n"  # an escaped backslash followed by a literal n


# --------------------------------------------------------------------------- PowerShell
def test_powershell_psreadline_history(scanner: Scanner, tmp_path: Path) -> None:
    pw = make_password()
    folder = tmp_path / "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine"
    folder.mkdir(parents=True)
    history = folder / "ConsoleHost_history.txt"
    history.write_bytes(
        b"\xef\xbb\xbf" + (
            "Get-ChildItem\r\n"
            "$conn = `\r\n"
            f"  \"postgresql://win:{pw}@pg.corp.net/app\"\r\n"
            "psql $conn\r\n"
        ).encode()
    )
    reader, chunks = read(history)
    assert reader.name == "powershell-history"
    assert findings(scanner, chunks) == [("powershell", None, 3, "win", "pg.corp.net", redact(pw))]
    assert lines_of(chunks[0]) == ["Get-ChildItem", "$conn = ", f'  "postgresql://win:{pw}@pg.corp.net/app"',
                                   "psql $conn"]
    vscode = folder / "Visual Studio Code Host_history.txt"
    vscode.write_text("ls\n")
    assert read(vscode)[0].name == "powershell-history"


# --------------------------------------------------------------------------- bad input
BAD = {
    "invalid-utf8": b": 1717079400:0;psql \xff\xfe postgres://a:\xc3@h/db\n",
    "nul-padding": b"\x00" * 4096 + b"ls\n" + b"\x00" * 10 + b"pwd\n",
    "truncated-continuation": b": 1717079400:0;echo \\",
    "bad-epoch": b": 99999999999999999999:0;ls\n#99999999999999\nls\n  when: zz\n",
    "megabyte-line": b"- cmd: " + b"\\\\n" * 300_000 + b"x" * 1_500_000,
    "binary": bytes(range(256)) * 64,
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize(
    "name", ["bash-history", "zsh-history", "fish-history", "powershell-history"])
def test_bad_history_input_never_raises(name: str, case: str, scanner: Scanner) -> None:
    reader = reader_for(name)
    info = FileInfo(path=f"/home/u/{case}_history", name=f"{case}_history")
    items = list(reader.iter_chunks(info, BAD[case]))
    assert all(isinstance(i, (Chunk, Skipped)) for i in items)
    for i in items:
        if isinstance(i, Chunk):
            scanner.scan_chunk(i, ScanStats())
    if case == "binary":
        assert len(items) == 1 and isinstance(items[0], Skipped) and "binary" in items[0].reason
    if case == "nul-padding":
        assert [lines_of(i) for i in items if isinstance(i, Chunk)] == [["ls", "pwd"]]


def test_pgpassword_in_histories(scanner: Scanner, tmp_path: Path) -> None:
    """`export PGPASSWORD=…` and `$env:PGPASSWORD=…`, found by pg.env.1."""
    pw, pw2 = make_password(), make_password()
    bash = tmp_path / ".bash_history"
    bash.write_text(f"#{EPOCH}\ncd /srv\n#{EPOCH + 1}\nexport PGPASSWORD='{pw}'\n")
    got = [(row[1], row[2], row[5]) for row in findings(scanner, read(bash)[1])]
    assert got == [("2024-05-30T14:30:01+00:00", 4, redact(pw))]
    zsh = tmp_path / ".zsh_history"
    zsh.write_bytes(
        metafy(f": {EPOCH}:0;PGPASSWORD='{pw2}—' psql -h db.corp.net -U app\n".encode()))
    got = [(row[1], row[2], row[5]) for row in findings(scanner, read(zsh)[1])]
    assert got == [("2024-05-30T14:30:00+00:00", 1, redact(pw2 + "—"))]
    fish = tmp_path / "fish_history"  # fish escapes: password a\b:c, two lines
    fish.write_text(f"- cmd: ls\n- cmd: export PGPASSWORD='{pw}\\\\b:c'"
                    f"\\npsql -h db.corp.net -U app prod\n"
                    f"  when: {EPOCH}\n")
    [chunk] = [c for c in read(fish)[1] if b"PGPASSWORD" in c.data]
    [f] = scanner.scan_chunk(chunk, ScanStats())
    assert (f.line, f.secret == pw + "\\b:c", history_of(f).timestamp) == (
        2, True, "2024-05-30T14:30:00+00:00")


@pytest.mark.parametrize(
    "name", [".zsh_history", "fish_history", "ConsoleHost_history.txt", ".bash_history"])
def test_a_binary_file_with_a_history_name_is_left_to_the_plain_text_reader(name: str) -> None:
    head = bytes(range(256)) * 4
    assert registry.select_reader(FileInfo(path=f"/home/u/{name}", name=name), head).name == "text"
