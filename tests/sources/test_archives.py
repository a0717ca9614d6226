"""Archives read in memory: members, nesting, and hostile inputs within the limits."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import make_password
from filescan import Row, row, scan_data, shared_scanner
from provenances import file_of

from pgsweep.findings.pipeline import Scanner
from pgsweep.sources.archives import ArchiveLimits


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return shared_scanner()



def uri(user: str, pw: str) -> str:
    return f"postgresql://{user}:{pw}@{user}.corp.net/db"


def make_zip(members: dict[str, bytes], modes: dict[str, int] | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zi = zipfile.ZipInfo(name, date_time=(2024, 5, 30, 12, 0, 0))
            zi.compress_type = compression
            if modes and name in modes:
                zi.external_attr = (0o100000 | modes[name]) << 16
            zf.writestr(zi, data)
    return buf.getvalue()


def make_tar(members: dict[str, bytes], gz: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime, ti.uname = len(data), 0o644, 1717070400, "alice"
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_zip_members_with_readers_and_modes(scanner: Scanner) -> None:
    p1, p2 = make_password(), make_password()
    data = make_zip({
        "home/alice/.pgpass": f"pg.corp.net:5432:*:alice:{p1}\n".encode(),
        "app/config.txt": f"line\n{uri('app', p2)}\n".encode(),
        "app/": b"",
    }, modes={"home/alice/.pgpass": 0o644})
    found, stats = scan_data(scanner, "backup.zip", data, path="/ev/backup.zip")
    assert sorted(map(row, found), key=lambda r: str(r.path)) == [
        Row("/ev/backup.zip!app/config.txt", 2, "app", "app.corp.net", p2, "db"),
        Row("/ev/backup.zip!home/alice/.pgpass", 1, "alice", "pg.corp.net", p1, None),
    ]
    pgpass = next(f for f in found if file_of(f).reader == "pgpass")
    assert file_of(pgpass).mode == "0644"
    assert file_of(pgpass).mtime == "2024-05-30T12:00:00+00:00"
    assert file_of(pgpass).risk_flags == ("pgpass-group-or-world-accessible:0644",)
    assert stats.skipped == {}


def test_nested_archives_up_to_the_depth_limit(scanner: Scanner) -> None:
    p1, p2, p3 = make_password(), make_password(), make_password()
    inner = make_zip({"deploy/.env": f"DATABASE_URL={uri('inner', p1)}\n".encode()})
    middle = make_tar({"inner.zip": inner, "notes.txt": uri("middle", p2).encode()}, gz=True)
    outer = make_zip({"middle.tgz": middle, "top.txt": uri("top", p3).encode()})
    found, stats = scan_data(scanner, "outer.zip", outer, path="/ev/outer.zip")
    assert sorted(map(row, found), key=lambda r: str(r.path)) == [
        Row("/ev/outer.zip!middle.tgz!inner.zip!deploy/.env", 1, "inner", "inner.corp.net", p1,
            "db"),
        Row("/ev/outer.zip!middle.tgz!notes.txt", 1, "middle", "middle.corp.net", p2, "db"),
        Row("/ev/outer.zip!top.txt", 1, "top", "top.corp.net", p3, "db"),
    ]
    middle_find = next(f for f in found if f.user == "middle")
    assert (file_of(middle_find).owner, file_of(middle_find).mode) == ("alice", "0644")
    found, stats = scan_data(scanner, "outer.zip", outer, limits=ArchiveLimits(max_depth=2),
                             path="/ev/outer.zip")
    assert {r.user for r in map(row, found)} == {"top", "middle"}
    assert stats.warnings == ["/ev/outer.zip!middle.tgz!inner.zip: archive: nested too deep"]


def test_zip_bomb_and_oversized_members_are_warnings(scanner: Scanner) -> None:
    pw = make_password()
    bomb = make_zip({"zeros.txt": b"\x00" * (8 * 1024 * 1024),
                     "ok.txt": uri("ok", pw).encode()})
    assert len(bomb) < 64 * 1024  # ratio ~1000:1
    found, stats = scan_data(scanner, "bomb.zip", bomb, path="/ev/bomb.zip")
    assert [row(f).user for f in found] == ["ok"]
    assert stats.warnings == [
        "/ev/bomb.zip!zeros.txt: archive: zip bomb suspected (compression ratio)"]
    found, stats = scan_data(scanner, "bomb.zip", bomb, path="/ev/bomb.zip",
                             limits=ArchiveLimits(max_member_size=1024 * 1024))
    assert stats.warnings == ["/ev/bomb.zip!zeros.txt: too large"]


def test_member_count_and_total_size_limits(scanner: Scanner) -> None:
    members = {f"f{i}.txt": uri(f"u{i}", make_password()).encode() for i in range(5)}
    data = make_zip(members)
    found, stats = scan_data(scanner, "many.zip", data, path="/ev/many.zip",
                             limits=ArchiveLimits(max_members=3))
    assert sorted(str(r.user) for r in map(row, found)) == ["u0", "u1", "u2"]
    assert stats.warnings == ["/ev/many.zip!f3.txt: archive: member count limit reached"]
    big = make_tar({f"b{i}.log": os.urandom(500).hex().encode() for i in range(4)}, gz=True)
    found, stats = scan_data(scanner, "big.tgz", big, path="/ev/big.tgz",
                             limits=ArchiveLimits(max_total=2500))
    assert stats.warnings == ["/ev/big.tgz!b2.log: archive: total uncompressed size limit reached"]


def test_an_encrypted_member_makes_the_scan_incomplete(scanner: Scanner) -> None:
    pw = make_password()
    data = bytearray(make_zip({"plain.txt": uri("plain", pw).encode(),
                               "locked.txt": b"\x8f" * 64}, compression=zipfile.ZIP_STORED))
    # set the "encrypted" flag of locked.txt in its local and central headers, as a
    # password-protected member carries it
    for header, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(header, data.find(header) + 1)
        data[at + flags_at] |= 0x1
    found, stats = scan_data(scanner, "kit.zip", bytes(data), path="/ev/kit.zip")
    assert [row(f) for f in found] == [
        Row("/ev/kit.zip!plain.txt", 1, "plain", "plain.corp.net", pw, "db")]
    assert stats.incomplete == ["/ev/kit.zip!locked.txt: archive: encrypted member"]


def test_truncated_and_corrupt_archives(scanner: Scanner) -> None:
    pw = make_password()
    whole = make_zip({"a.txt": uri("a", pw).encode()})
    found, stats = scan_data(scanner, "cut.zip", whole[: len(whole) // 2], path="/ev/cut.zip")
    assert found == []
    assert stats.warnings == ["/ev/cut.zip: archive: corrupt or truncated zip (BadZipFile)"]
    # the part that was cut off may hold a leak: such a scan is never clean
    assert stats.incomplete == stats.warnings
    tgz = make_tar({"first.txt": uri("first", pw).encode(), "second.bin": os.urandom(200_000)},
                   gz=True)
    found, stats = scan_data(scanner, "cut.tgz", tgz[: len(tgz) // 2], path="/ev/cut.tgz")
    assert [row(f) for f in found] == [
        Row("/ev/cut.tgz!first.txt", 1, "first", "first.corp.net", pw, "db")]
    assert stats.warnings == ["/ev/cut.tgz: archive: corrupt or truncated gzip (ReadError)"]
    assert stats.incomplete == stats.warnings
    found, stats = scan_data(scanner, "junk.tar.gz", b"\x1f\x8b" + os.urandom(100),
                             path="/ev/junk.tar.gz")
    assert found == []
    assert [w.startswith("/ev/junk.tar.gz: archive: corrupt or truncated gzip (")
            for w in stats.warnings] == [True]


def test_plain_tar_and_single_gzip_file(scanner: Scanner, tmp_path: Path) -> None:
    p1, p2 = make_password(), make_password()
    found, _ = scan_data(scanner, "logs.tar", make_tar({"job/1.log": uri("t", p1).encode()}),
                         path="/ev/logs.tar")
    assert [row(f) for f in found] == [
        Row("/ev/logs.tar!job/1.log", 1, "t", "t.corp.net", p1, "db")]
    gz = gzip.compress(f"\n\n{uri('g', p2)}\n".encode())
    found, _ = scan_data(scanner, "build.log.gz", gz, path="/ev/build.log.gz")
    assert [row(f) for f in found] == [
        Row("/ev/build.log.gz!build.log", 3, "g", "g.corp.net", p2, "db")]


def test_an_archive_on_stdin(scanner: Scanner) -> None:
    from filescan import scan_items

    from pgsweep.sources.stdin import StdinSource

    pw = make_password()
    data = make_tar({"etc/app/.pgpass": f"pg.corp.net:5432:*:app:{pw}\n".encode()}, gz=True)
    found, _ = scan_items(scanner, StdinSource(ArchiveLimits(), io.BytesIO(data)).iter_items())
    assert [row(f) for f in found] == [
        Row("<stdin>!etc/app/.pgpass", 1, "app", "pg.corp.net", pw, None)]


def test_tar_links_and_special_members_are_counted_skips(scanner: Scanner) -> None:
    pw = make_password()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = uri("real", pw).encode()
        ti = tarfile.TarInfo("app/real.txt")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
        for name, kind in (("app/sym.txt", tarfile.SYMTYPE), ("app/hard.txt", tarfile.LNKTYPE),
                           ("app/fifo", tarfile.FIFOTYPE), ("app/", tarfile.DIRTYPE)):
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.linkname = "app/real.txt" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
            tf.addfile(ti)
    found, stats = scan_data(scanner, "links.tar", buf.getvalue(), path="/ev/links.tar")
    assert [row(f) for f in found] == [
        Row("/ev/links.tar!app/real.txt", 1, "real", "real.corp.net", pw, "db")]
    assert stats.warnings == [
        "/ev/links.tar!app/sym.txt: archive: link member not followed",
        "/ev/links.tar!app/hard.txt: archive: link member not followed",
        "/ev/links.tar!app/fifo: archive: special member (device, FIFO)",
    ]


def test_a_json_array_of_other_objects_is_not_a_ci_log(scanner: Scanner) -> None:
    """A chat day file (`[{"type": "message", ...}]`) starts like CircleCI step output; no
    record of it may be dropped because it is not a step record."""
    pw = make_password()
    day = json.dumps([{"type": "message", "user": "U1", "text": uri("chat", pw),
                       "ts": "1704200000.000100"}]).encode()
    found, stats = scan_data(scanner, "2024-01-02.json", day, path="/ev/general/2024-01-02.json")
    assert [(row(f).user, row(f).secret) for f in found] == [("chat", pw)]
    assert stats.skipped == {}
    mixed = json.dumps([
        {"type": "out", "time": "2024-05-30T14:30:00Z", "message": "ok", "truncated": False},
        {"type": "message", "text": uri("odd", pw)},
    ], indent=1).encode()
    found, stats = scan_data(scanner, "output.json", mixed, path="/ev/output.json")
    assert [(f.provenance.kind, row(f).line, row(f).user) for f in found] == [
        ("ci-log", 10, "odd")]
    assert stats.skipped == {}
