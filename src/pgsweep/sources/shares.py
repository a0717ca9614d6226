"""The listed blobs of a parallel git scan, shared out between its workers as they go.

Each worker owns one file of listing lines (`git_shards.write_listing`), sorts it by path and
takes its path groups from the front. A worker that runs out takes half of what is left
of the fullest other worker, from the back. How long a path takes depends on its bytes,
on git's deltas and on how often keywords hit, none of which the listing knows, so
shares dealt by blob count alone would leave some workers idle at the end.

The locks and counters are made before the workers fork, which inherit them. An owner
writes its sorted lines back into its file and the byte offset and blob count at each
group into an index file, so a worker taking groups reads just those (`pread`, leaving
the owner's file offset alone), not a second copy of the owner's listing.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from typing import IO

Group = list[bytes]  # the listing lines of one path (or of one blob without a path)


class SharedLists:
    """Shard k's path groups, claimed under shard k's lock: its owner from the front, an
    idle worker from the back (`front`, `back` count groups; `back` is -1 until the
    owner has sorted its file)."""

    def __init__(self, files: Sequence[IO[bytes]]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._files = list(files)  # open as long as the shares are
        self.fds = [f.fileno() for f in files]
        self._locks = [ctx.Lock() for _ in files]
        self._bounds = ctx.RawArray("q", [0, -1] * len(files))
        # per shard, once sorted: [byte offset of each group and the end] + [blobs before
        # each group and in all]
        self._index: list[IO[bytes]] = [
            tempfile.TemporaryFile(prefix="pgsweep-shares-")  # noqa: SIM115 - lives with us
            for _ in files
        ]

    def claim(self, k: int, reports: list[bytes]) -> Iterator[Group]:
        """Shard k's groups, then groups taken from the others; shard k's report lines
        (missing objects, errors) go to `reports`."""
        groups = sorted_groups(_read(self.fds[k]), reports)
        self._publish(k, groups)
        lock, b = self._locks[k], self._bounds
        with lock:
            b[2 * k], b[2 * k + 1] = 0, len(groups)
        while True:
            with lock:
                g = b[2 * k]
                if g >= b[2 * k + 1]:
                    break
                b[2 * k] = g + 1
            yield groups[g]
        del groups
        yield from self._take(k)

    def _left(self, j: int) -> int:
        left: int = self._bounds[2 * j + 1] - self._bounds[2 * j]
        return left

    def _publish(self, k: int, groups: list[Group]) -> None:
        """Write shard k's groups back in order, and where each starts, for takers."""
        offsets, blobs = array("q", [0]), array("q", [0])
        fd = self.fds[k]
        batch: list[bytes] = []
        start = size = 0  # where the batch goes; bytes written and batched
        for group in groups:
            batch.extend(group)
            size += sum(len(line) + 1 for line in group)
            offsets.append(size)
            blobs.append(blobs[-1] + len(group))
            if len(batch) >= 4096:
                _write_lines(fd, batch, start)
                batch, start = [], size
        if batch:
            _write_lines(fd, batch, start)
        os.pwrite(self._index[k].fileno(), offsets.tobytes() + blobs.tobytes(), 0)

    def _take(self, k: int) -> Iterator[Group]:
        """Half of the fullest other shard's remaining blobs, from its back, until no
        shard has two groups left."""
        indexes: dict[int, tuple[array[int], array[int]]] = {}
        while True:
            others = [j for j in range(len(self.fds)) if j != k]
            if not others:
                return
            j = max(others, key=self._left)
            if self._left(j) < 2:
                return
            if j not in indexes:
                both = array("q", _read(self._index[j].fileno()))
                half_len = len(both) // 2
                indexes[j] = (both[:half_len], both[half_len:])
            offsets, ends = indexes[j]
            with self._locks[j]:
                front, back = self._bounds[2 * j], self._bounds[2 * j + 1]
                if back - front < 2:
                    continue
                # the split that leaves the owner about half of the remaining blobs
                half = (ends[front] + ends[back]) // 2
                cut = front + 1
                while cut < back - 1 and ends[cut] < half:
                    cut += 1
                self._bounds[2 * j + 1] = cut
            data = _read(self.fds[j], offsets[cut], offsets[back])
            yield from sorted_groups(data, [])


def sorted_groups(data: bytes, reports: list[bytes]) -> list[Group]:
    """Listing lines sorted (by path, newest version first), in groups of one path."""
    lines = data.splitlines()
    del data  # the caller's copy is a temporary: the lines alone stay
    lines.sort()
    groups: list[Group] = []
    key = None
    for line in lines:
        path, _, rest = line.partition(b"\0")
        if not path and rest[:2] in (b"? ", b"! "):
            reports.append(line)
            continue
        line_key = path or line
        if line_key != key:
            groups.append([])
            key = line_key
        groups[-1].append(line)
    return groups


def _read(fd: int, start: int = 0, end: int | None = None) -> bytes:
    """Bytes of a file by descriptor, without moving its offset (other processes share it)."""
    end = os.fstat(fd).st_size if end is None else end
    parts = []
    offset = start
    while offset < end:
        part = os.pread(fd, end - offset, offset)
        if not part:
            break
        parts.append(part)
        offset += len(part)
    return b"".join(parts)


def _write_lines(fd: int, lines: list[bytes], offset: int) -> None:
    data = b"\n".join(lines) + b"\n"
    written = 0
    while written < len(data):
        written += os.pwrite(fd, data[written:], offset + written)
