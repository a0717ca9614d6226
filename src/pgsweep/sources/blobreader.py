"""Bulk blob reading through one long-lived `git cat-file --batch`, running ahead of the scan."""

from __future__ import annotations

import os
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import IO

from pgsweep.sources.interface import SourceError

# Bytes of blob content read ahead of the consumer: git decompresses (in its own process)
# while Python matches, without letting a run of large blobs grow memory.
READ_AHEAD_BYTES = 32 * 1024 * 1024
_PIPE_SIZE = 1 << 20
# Restarts of git that read nothing before a run is declared broken (not just one bad object).
MAX_FRUITLESS_RESTARTS = 50
_F_SETPIPE_SZ = 1031  # Linux fcntl; harmless to skip elsewhere

# Never fetch missing objects from a promisor remote (partial clones): count them instead.
GIT_ENV = {
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}


@dataclass(frozen=True)
class BlobRef:
    """A blob to read, and one path it appears at (when the enumeration knows one)."""

    oid: str
    path: str | None = None
    reachable: bool = True


@dataclass(frozen=True)
class BlobRead:
    """A blob's content, or why it has none (`error`: "missing", "corrupt", "too large")."""

    ref: BlobRef
    size: int
    data: bytes | None = None
    error: str | None = None


def git_env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV}


def git_command(git_dir: str, *args: str) -> list[str]:
    # No pager, no signature display, no replace refs: read the repository as stored.
    return [
        "git", "--no-pager", "--no-replace-objects", f"--git-dir={git_dir}",
        "-c", "log.showSignature=false", "-c", "core.quotePath=false", *args,
    ]


class _ByteBudget:
    """A FIFO handed from the reading thread to the consumer, bounded by bytes held."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.items: deque[BlobRead | BaseException | None] = deque()
        self.cond = threading.Condition()
        self.closed = False

    def put(self, item: BlobRead | BaseException | None, size: int = 0) -> bool:
        with self.cond:
            while self.items and self.held + size > self.limit and not self.closed:
                self.cond.wait()
            if self.closed:
                return False
            self.items.append(item)
            self.held += size
            self.cond.notify_all()
            return True

    def get(self) -> BlobRead | BaseException | None:
        with self.cond:
            while not self.items:
                self.cond.wait()
            item = self.items.popleft()
            if isinstance(item, BlobRead) and item.data is not None:
                self.held -= len(item.data)
            self.cond.notify_all()
            return item

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.items.clear()
            self.cond.notify_all()


class BlobReader:
    """Reads blobs in the order given, through `git cat-file --batch`, one thread ahead.

    Missing and corrupt objects come back as `BlobRead(error=...)`; if git dies on a
    corrupt object, the reader reports that object and restarts git for the rest.
    Blobs over `max_size` are drained, not kept.
    """

    def __init__(self, git_dir: str, max_size: int, read_ahead: int = READ_AHEAD_BYTES) -> None:
        self.git_dir = git_dir
        self.max_size = max_size
        self.read_ahead = read_ahead
        self.errors: list[str] = []  # git's own error lines (no content), for diagnostics

    def iter_blobs(self, refs: Iterable[BlobRef]) -> Iterator[BlobRead]:
        queue = _ByteBudget(self.read_ahead)
        worker = threading.Thread(
            target=self._produce, args=(iter(refs), queue), name="pgsweep-blob-reader", daemon=True
        )
        worker.start()
        try:
            while True:
                item = queue.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            queue.close()
            worker.join()

    # ------------------------------------------------------------------ reading thread
    def _produce(self, refs: Iterator[BlobRef], queue: _ByteBudget) -> None:
        try:
            pending: Iterator[BlobRef] = refs
            fruitless = 0
            while True:
                rest, answered = self._run_once(pending, queue)
                if rest is None:
                    break
                fruitless = 0 if answered > 1 else fruitless + 1
                if fruitless >= MAX_FRUITLESS_RESTARTS:
                    detail = self.errors[-1] if self.errors else "no output"
                    raise SourceError(f"git cat-file keeps failing: {detail}")
                pending = rest
            queue.put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises
            queue.put(exc)

    def _spawn(self) -> subprocess.Popen[bytes]:
        try:
            proc = subprocess.Popen(
                git_command(
                    self.git_dir, "cat-file", "--buffer",
                    "--batch=%(objectname) %(objecttype) %(objectsize)",
                ),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=git_env(),
                bufsize=0,
            )
        except OSError as exc:
            raise SourceError(f"cannot run git: {exc.strerror or exc}") from None
        try:
            import fcntl

            assert proc.stdout is not None
            fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        except (ImportError, OSError):
            pass
        return proc

    def _run_once(
        self, refs: Iterator[BlobRef], queue: _ByteBudget
    ) -> tuple[Iterator[BlobRef] | None, int]:
        """Read until `refs` is exhausted (None) or git dies (the refs still to read).

        Also returns how many objects git answered in this run.
        """
        proc = self._spawn()
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        inflight: deque[BlobRef] = deque()
        stop = threading.Event()

        def feed(stdin: IO[bytes]) -> None:
            try:
                for ref in refs:
                    inflight.append(ref)  # before writing: a failed write leaves it queued
                    stdin.write(ref.oid.encode("ascii") + b"\n")
                    if stop.is_set():
                        break
            except (BrokenPipeError, OSError):
                pass
            finally:
                try:
                    stdin.close()
                except OSError:
                    pass

        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.extend(proc.stderr or ()), daemon=True)
        drain.start()
        feeder = threading.Thread(target=feed, args=(proc.stdin,), daemon=True)
        feeder.start()
        out = open(proc.stdout.fileno(), "rb", buffering=_PIPE_SIZE, closefd=False)
        failed: BlobRef | None = None
        answered = 0
        try:
            while True:
                header = out.readline()
                if not header:
                    break
                answered += 1
                if not inflight:
                    raise SourceError("git cat-file answered an object that was not asked for")
                ref = inflight.popleft()
                parts = header.split()
                if len(parts) != 3:  # "<oid> missing" (absent, or unreadable header)
                    if not queue.put(BlobRead(ref, 0, error="missing")):
                        return None, answered
                    continue
                size = int(parts[2])
                if parts[1] != b"blob":
                    _drain(out, size + 1)
                    if not queue.put(BlobRead(ref, size, error="not a blob")):
                        return None, answered
                    continue
                if size > self.max_size:
                    if _drain(out, size + 1) < size + 1:
                        failed = ref
                        break
                    if not queue.put(BlobRead(ref, size, error="too large")):
                        return None, answered
                    continue
                data = out.read(size)
                if len(data) < size or out.read(1) != b"\n":  # git died mid-object
                    failed = ref
                    break
                if not queue.put(BlobRead(ref, size, data=data), size):
                    return None, answered
        finally:
            stop.set()
            out.close()
            proc.stdout.close()
            feeder.join()
            proc.wait()
            drain.join()
            self.errors.extend(
                line.decode("utf-8", "replace").rstrip() for line in errors[:20]
            )
        if failed is None and inflight:  # git stopped between objects: the next one is bad
            failed = inflight.popleft()
        if failed is None:
            return None, answered
        if not queue.put(BlobRead(failed, 0, error="corrupt")):
            return None, answered
        return chain(list(inflight), refs), answered

def _drain(stream: IO[bytes], n: int) -> int:
    """Read and drop n bytes; returns how many were there."""
    got = 0
    while got < n:
        piece = stream.read(min(n - got, 1 << 20))
        if not piece:
            break
        got += len(piece)
    return got
