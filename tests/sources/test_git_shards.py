"""The listing of a git scan shared out into shard files, and read back, on real histories."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo

from pgsweep.core.options import ScanOptions
from pgsweep.sources.blobreader import BlobRef
from pgsweep.sources.git import GitSource
from pgsweep.sources.git_shards import (
    decode_line,
    encode_line,
    iter_listed,
    new_lists,
    split_reports,
    write_listing,
)
from pgsweep.sources.shares import sorted_groups

COMMIT = "c" * 40


def test_a_line_round_trips_every_field() -> None:
    refs = [
        BlobRef("a" * 40, "conf/db.env", True, COMMIT),
        BlobRef("b" * 40, None, False, None),  # an unreachable blob without a path
        BlobRef("d" * 40, "caf\udce9 name\twith tab.env", True, None),  # undecodable bytes
        BlobRef("e" * 64, "sha256.env", True, "f" * 64),
    ]
    for ref in refs:
        line = encode_line(ref, 0xFFFF0001)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode_line(line[:-1]) == ref


def test_versions_of_a_path_share_a_shard_and_come_back_newest_first() -> None:
    refs = [BlobRef(f"{i:040x}", path, True, COMMIT)
            for i, path in enumerate(["a.env", "b.env", "a.env", "c.env", "b.env", "a.env"])]
    files = new_lists(2)
    listed = write_listing(iter(refs), files, ["9" * 40], ["git rev-list failed (x\ny)"])
    assert listed == 6
    shards: list[list[BlobRef]] = []
    told: list[tuple[list[str], list[str]]] = []
    for f in files:
        reports: list[bytes] = []
        shards.append(list(iter_listed(sorted_groups(f.read(), reports))))
        missing: list[str] = []
        errors: list[str] = []
        split_reports(reports, missing, errors)
        told.append((missing, errors))
    # a new path goes to the shard with the fewest blobs so far: c.env to the second
    assert [(r.path, r.oid[-1]) for r in shards[0]] == [
        ("a.env", "5"), ("a.env", "2"), ("a.env", "0")]  # newest first
    assert [(r.path, r.oid[-1]) for r in shards[1]] == [
        ("b.env", "4"), ("b.env", "1"), ("c.env", "3")]
    # the reports travel in the first shard only, each on one line
    assert told == [(["9" * 40], ["git rev-list failed (x y)"]), ([], [])]


def test_a_real_history_lists_the_same_blobs_in_one_shard_or_three(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    for i in range(6):
        r.write(f"dir/file{i % 2}.txt", f"version {i}\n")
        r.write(f"other{i}.txt", f"{i}\n")
        r.commit(f"c{i}")
    source = GitSource(r.root, ScanOptions(path=str(r.root)))
    every = list(source.enumeration.iter_blobs([]))
    files = new_lists(3)
    assert write_listing(iter(every), files, [], []) == len(every) == 12
    back = [ref for f in files for ref in iter_listed(sorted_groups(f.read(), []))]
    assert sorted(back, key=lambda ref: ref.oid) == sorted(every, key=lambda ref: ref.oid)
    by_path: dict[str | None, list[str]] = {ref.path: [] for ref in back}
    for ref in back:
        by_path[ref.path].append(ref.oid)
    assert by_path["dir/file0.txt"] == [r.blob(f"main~{n}:dir/file0.txt") for n in (1, 3, 5)]
