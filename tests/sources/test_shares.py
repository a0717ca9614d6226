"""Work sharing between a parallel git scan's workers: every blob read once, idle workers help."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pgsweep.core.options import ScanOptions
from pgsweep.detectors.signatures import Signature
from pgsweep.sources.git import GitSource
from pgsweep.sources.shares import SharedLists, sorted_groups


def _listing(paths: dict[str, int], start: int = 0xFFFF0000) -> list[bytes]:
    """Listing lines as `git_shards.write_listing` writes them: n versions of each path."""
    lines = []
    rank = start
    for path, versions in paths.items():
        for v in range(versions):
            rank -= 1
            oid = f"{abs(hash((path, v))):040x}"[-40:]
            lines.append(f"{path}\0{rank:08x} {oid} 1 {'c' * 40}".encode())
    return lines


def _shared(*listings: list[bytes]) -> SharedLists:
    files = []
    for lines in listings:
        f = tempfile.TemporaryFile()  # noqa: SIM115 - the shares keep it open
        f.write(b"".join(line + b"\n" for line in lines))
        f.flush()
        files.append(f)
    return SharedLists(files)


def test_an_idle_worker_takes_half_of_the_rest_from_the_back() -> None:
    big = _listing({f"src/mod{i:02}.py": 3 for i in range(20)})
    small = _listing({"README": 2})
    shared = _shared(big, small)
    owner = shared.claim(0, [])
    first = [next(owner) for _ in range(4)]  # the owner is 4 paths in
    taken = list(shared.claim(1, []))  # the other finishes its one path, then takes
    rest = list(owner)
    assert [g[0].split(b"\0")[0] for g in taken][:1] == [b"README"]
    def names(groups: list[list[bytes]]) -> list[int]:
        return [int(g[0].split(b"\0")[0][7:9]) for g in groups]

    # half of the 16 paths left, from the back, then half of what is left, and so on
    # (the owner, paused here, would have gone on meanwhile); it keeps at least one
    assert names(taken[1:]) == [*range(12, 20), *range(8, 12), 6, 7, 5]
    assert names(rest) == [4]
    everything = [line for g in first + taken + rest for line in g]
    assert sorted(everything) == sorted(big + small)  # each line once, none lost


def test_groups_are_paths_newest_version_first_and_reports_are_set_aside() -> None:
    lines = _listing({"b.env": 2, "a.env": 3})
    reports: list[bytes] = []
    data = b"\n".join([*lines, b"\0? " + b"f" * 40, b"\0! git rev-list failed (x)"]) + b"\n"
    groups = sorted_groups(data, reports)
    assert [[line.split(b"\0")[0] for line in g] for g in groups] == [[b"a.env"] * 3,
                                                                     [b"b.env"] * 2]
    # listed later (newer) first within a path
    assert groups[0] == sorted(lines[2:5])
    assert sorted(r[:2] for r in reports) == [b"\0!", b"\0?"]


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_scan_reads_each_blob_once(
    tmp_path: Path, jobs: int, all_signatures: list[Signature]
) -> None:
    """Whatever the sharing, a parallel scan reads every blob exactly once."""
    from gitrepo import GitRepo

    from pgsweep.findings.pipeline import Scanner

    r = GitRepo(tmp_path / "repo")
    for i in range(30):
        r.write(f"big/file{i % 3}.txt", "x\n" * (i + 1))
        r.write(f"small/{i}.txt", f"{i}\n")
        r.commit(f"c{i}")
    opts = ScanOptions(path=str(r.root))
    serial = Scanner(all_signatures).run(GitSource(r.root, opts, parallel_min_objects=0), jobs=1)
    parallel = Scanner(all_signatures).run(GitSource(r.root, opts, parallel_min_objects=0),
                                           jobs=jobs)
    assert parallel.stats.blobs == serial.stats.blobs == 30 + 30
    assert parallel.stats.bytes == serial.stats.bytes
