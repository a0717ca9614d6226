"""Bulk blob reading through one long-lived `git cat-file --batch`, running ahead of the scan."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from typing import IO, NamedTuple

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


# BlobRef and BlobRead are made once per blob, in the listing and in every worker: named
# tuples cost a third of a frozen dataclass to construct.
class BlobRef(NamedTuple):
    """A blob to read, and the first commit and path it appears at (when the enumeration
    knows them)."""

    oid: str
    path: str | None = None
    reachable: bool = True
    commit: str | None = None


class BlobRead(NamedTuple):
    """A blob's content, or why it has none (`error`: "missing", "corrupt", "too large")."""

    ref: BlobRef
    size: int
    data: bytes | None = None
    error: str | None = None


def git_env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV}


def git_command(git_dir: str, *args: str) -> list[str]:
    # No pager, no signature display, no replace refs, no fsmonitor hook (a command the
    # repository names): read the repository as stored, running nothing it configures.
    return [
        "git", "--no-pager", "--no-replace-objects", f"--git-dir={git_dir}",
        "-c", "log.showSignature=false", "-c", "core.quotePath=false",
        "-c", "core.fsmonitor=false", *args,
    ]


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
        """Blobs in the order given. git decompresses in its own process while this one
        matches: the pipe (1 MiB) is the read-ahead, so no thread hands blobs over (a
        hand-off per blob under the GIL cost more than the reading itself)."""
        pending: Iterator[BlobRef] = iter(refs)
        fruitless = 0
        while True:
            rest, answered = yield from self._run_once(pending)
            if rest is None:
                return
            fruitless = 0 if answered > 1 else fruitless + 1
            if fruitless >= MAX_FRUITLESS_RESTARTS:
                detail = self.errors[-1] if self.errors else "no output"
                raise SourceError(f"git cat-file keeps failing: {detail}")
            pending = rest

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
        self, refs: Iterator[BlobRef]
    ) -> Generator[BlobRead, None, tuple[Iterator[BlobRef] | None, int]]:
        """Read until `refs` is exhausted (None) or git dies (the refs still to read).

        Also returns how many objects git answered in this run.
        """
        proc = self._spawn()
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        inflight: deque[BlobRef] = deque()
        stop = threading.Event()

        feed_errors: list[BaseException] = []

        def feed(stdin: IO[bytes]) -> None:
            # Buffered: one write per 64 KiB of ids rather than a system call (and a GIL
            # hand-off) per object. The enumeration runs far ahead of the reading, so ids
            # waiting in this buffer never hold the reader up for long; the end flushes.
            out = io.BufferedWriter(stdin, buffer_size=1 << 16)
            # Only a write may fail because git is gone (the reader then restarts it); an
            # error of the enumeration itself (git rev-list that cannot even start) is the
            # scan's, and re-raised by the reader.
            try:
                for ref in refs:
                    inflight.append(ref)  # before writing: a failed write leaves it queued
                    try:
                        out.write(ref.oid.encode("ascii") + b"\n")
                    except OSError:
                        return
                    if stop.is_set():
                        break
            except BaseException as exc:  # noqa: BLE001 - the enumeration failed: re-raised
                feed_errors.append(exc)
            else:
                with contextlib.suppress(OSError):
                    out.flush()
            finally:
                with contextlib.suppress(OSError):
                    stdin.close()

        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.extend(proc.stderr or ()), daemon=True)
        drain.start()
        feeder = threading.Thread(target=feed, args=(proc.stdin,), daemon=True)
        feeder.start()
        out = io.BufferedReader(proc.stdout, buffer_size=_PIPE_SIZE)  # type: ignore[type-var]
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
                read = self._answer(out, ref, header)
                if read is None:
                    failed = ref
                    break
                yield read
        finally:
            stop.set()
            out.close()  # closes git's stdout: a git still writing stops
            feeder.join()
            proc.wait()
            drain.join()
            self.errors.extend(
                line.decode("utf-8", "replace").rstrip() for line in errors[:20]
            )
        if feed_errors:
            raise feed_errors[0]
        if failed is None and inflight:  # git stopped between objects: the next one is bad
            failed = inflight.popleft()
        if failed is None:
            return None, answered
        yield BlobRead(failed, 0, error="corrupt")
        return chain(list(inflight), refs), answered

    def _answer(self, out: IO[bytes], ref: BlobRef, header: bytes) -> BlobRead | None:
        """git's answer for `ref` after its header line: the blob, or why it is not read;
        None when git died in the middle of the object."""
        parts = header.split()
        if len(parts) != 3:  # "<oid> missing" (absent, or unreadable header)
            return BlobRead(ref, 0, error="missing")
        size = int(parts[2])
        if parts[1] != b"blob":
            _drain(out, size + 1)
            return BlobRead(ref, size, error="not a blob")
        if size > self.max_size:
            if _drain(out, size + 1) < size + 1:
                return None
            return BlobRead(ref, size, error="too large")
        data = out.read(size)
        if len(data) < size or out.read(1) != b"\n":
            return None
        return BlobRead(ref, size, data=data)

def _drain(stream: IO[bytes], n: int) -> int:
    """Read and drop n bytes; returns how many were there."""
    got = 0
    while got < n:
        piece = stream.read(min(n - got, 1 << 20))
        if not piece:
            break
        got += len(piece)
    return got
