"""A git scan's listing shared out into shard files: one line per blob, every version of a
path in the same shard, and the lines read back as blobs to read.

The line format is `<path>\\0<rank> <id> <reachable> <commit>\\n`: sorted as bytes, a
shard's lines come by path, and within a path by rank, which falls as the listing goes on
(newest version first: packs keep the newest version whole and older ones as deltas of it,
and reading the versions of one file in turn lets git reuse its delta base cache). The
first shard also carries what the scan reports once: missing objects (`\\0? <id>`) and
enumeration errors (`\\0! <message>`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from pgsweep.sources.blobreader import BlobRef
from pgsweep.sources.shares import Group

_FIRST_RANK = 0xFFFFFFFF


def new_lists(n: int) -> list[IO[bytes]]:
    """n unlinked files for the listed blobs (ids, commits and paths, never content)."""
    return [tempfile.TemporaryFile(prefix="pgsweep-blobs-") for _ in range(n)]


def encode_line(ref: BlobRef, rank: int) -> bytes:
    """One blob as a listing line."""
    return (f"{ref.path or ''}\0{rank:08x} {ref.oid} {ref.reachable:d} {ref.commit or '-'}\n"
            .encode("utf-8", "surrogateescape"))


def decode_line(line: bytes) -> BlobRef:
    """A listing line (without its newline) as the blob it names."""
    path, _, rest = line.partition(b"\0")
    _rank, oid, reachable, commit = rest.decode("ascii").split(" ")
    return BlobRef(oid, path.decode("utf-8", "surrogateescape") or None, reachable == "1",
                   None if commit == "-" else commit)


def write_listing(
    refs: Iterable[BlobRef], files: list[IO[bytes]], missing: list[str], errors: list[str],
) -> int:
    """Every blob of `refs` into one of `files`, every version of a path in the same file;
    the reports (`missing` once `refs` is exhausted, then `errors`) into the first file.
    Returns how many blobs were listed; the files are left at their start.

    A path new to the listing goes to the file with the fewest blobs so far; workers even
    out what that leaves uneven by taking from each other (`pgsweep.sources.shares`).
    """
    n = len(files)
    writes = [f.write for f in files]
    shard_of: dict[str, int] = {}
    load = [0] * n
    rank = _FIRST_RANK
    for ref in refs:
        key = ref.path or ref.oid
        k = shard_of.get(key)
        if k is None:
            k = shard_of[key] = load.index(min(load)) if n > 1 else 0
        load[k] += 1
        rank -= 1
        writes[k](encode_line(ref, rank))
    for oid in dict.fromkeys(missing):
        files[0].write(f"\0? {oid}\n".encode())
    for message in dict.fromkeys(errors):
        files[0].write(("\0! " + " ".join(message.split()) + "\n").encode("utf-8", "replace"))
    for f in files:
        f.flush()
        f.seek(0)
    return sum(load)


def iter_listed(groups: Iterable[Group]) -> Iterator[BlobRef]:
    """The blobs of sorted path groups (`shares.sorted_groups`), in order."""
    for group in groups:
        for line in group:
            yield decode_line(line)


def split_reports(reports: Iterable[bytes], missing: list[str], errors: list[str]) -> None:
    """Report lines set aside while sorting, back into missing object ids and errors."""
    for line in reports:
        text = line[3:].decode("utf-8", "replace")
        (missing if line[1:2] == b"?" else errors).append(text)
