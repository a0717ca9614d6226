"""One `git rev-list --objects` run, and its output read as (blob, path, first commit)."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from pgsweep.sources.blobreader import git_command, git_env

# How a failed run is reported (then followed by git's first error line).
WALK_FAILED = "git rev-list failed"


class RevList:
    """One `git rev-list --objects --in-commit-order --topo-order --reverse` run.

    It prints each commit followed by the objects it is the first to hold, parents first,
    so the enumeration is also the attribution: no separate replay of the history is needed
    to know where each blob came from. `spool` writes the output to an unlinked file, so
    the run goes on while another is read.
    """

    def __init__(
        self, git_dir: str, args: Sequence[str], stdin_revs: Sequence[str], spool: bool = False
    ) -> None:
        cmd = git_command(
            git_dir, "rev-list", "--objects", "--in-commit-order", "--topo-order",
            "--reverse", "--missing=print", *args, "--stdin",
        )
        self._spool: IO[bytes] | None = (
            tempfile.TemporaryFile(prefix="pgsweep-revs-") if spool else None  # noqa: SIM115
        )
        self._read = False  # every line read (else the scan stopped early)
        self._errors: list[bytes] = []
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env(),
                stdout=self._spool if self._spool is not None else subprocess.PIPE,
            )
        except OSError as exc:  # too many refs to name on a command line, no memory, no git
            self.proc = None
            self._errors.append(f"cannot run git: {exc.strerror or exc}".encode())
            return
        proc = self.proc
        assert proc.stdin is not None and proc.stderr is not None
        self._drain = threading.Thread(
            target=lambda: self._errors.extend(proc.stderr or ()), daemon=True)
        self._drain.start()
        try:
            proc.stdin.write("".join(f"{r}\n" for r in stdin_revs).encode("ascii"))
            proc.stdin.close()
        except BrokenPipeError:
            pass

    def lines(self) -> Iterator[bytes]:
        if self.proc is None:
            return
        if self._spool is None:
            assert self.proc.stdout is not None
            yield from self.proc.stdout
        else:
            self.proc.wait()
            self._spool.seek(0)
            yield from self._spool
        self._read = True

    def finish(self) -> str | None:
        """Stop git if it is still running; why it failed, if it did."""
        if self.proc is None:
            if self._spool is not None:
                self._spool.close()
            return f"{WALK_FAILED} ({self._errors[0].decode()})"
        stopped = not self._read and self.proc.poll() is None
        if stopped:
            self.proc.kill()  # the scan stopped reading early
        for stream in (self.proc.stdout, self._spool):
            if stream is not None:
                stream.close()
        self.proc.wait()
        self._drain.join()
        if self.proc.returncode == 0 or stopped:
            return None
        detail = next(
            (e.decode("utf-8", "replace").strip() for e in self._errors if e.strip()), "")
        return f"{WALK_FAILED} ({detail or self.proc.returncode})"


def first_holders(
    lines: Iterable[bytes], missing: list[str], named: frozenset[bytes] = frozenset()
) -> Iterator[tuple[str, bytes, str | None]]:
    """(blob id, path, commit) from `rev-list --objects --in-commit-order` output.

    A commit prints as its id alone, then the trees and blobs it is the first to hold,
    depth first: its root tree (`<id> `), then a tree (`<id> <dir>`) before its new
    entries (`<id> <dir>/…`). A named line that nothing inside it follows is a blob, or a
    tree whose entries were all listed before (a rename, a deletion): those few come back
    too, and the reader skips what is not a blob. Objects that refs name directly (`named`:
    a tag on a blob or a tree) print with the first commit, before its root tree, and
    belong to no commit. `?<id>` lines are missing objects.
    """
    commit: str | None = None
    provided = True  # until the first root tree: objects refs name directly
    held: tuple[bytes, bytes, str | None] | None = None  # the last named line, undecided
    for raw in lines:
        line = raw.rstrip(b"\n")
        oid, sp, name = line.partition(b" ")
        if held is not None:
            if not (sp and name.startswith(held[1] + b"/")):
                yield held[0].decode("ascii"), held[1], held[2]
            held = None
        if not sp:
            if line.startswith(b"?"):
                missing.append(line[1:].strip().decode("ascii", "replace"))
            elif len(line) in (40, 64):
                commit = line.decode("ascii")
            continue
        if len(oid) not in (40, 64):
            continue
        if name:
            held = (oid, name, None if provided else commit)
        elif provided and oid in named:
            yield oid.decode("ascii"), b"", None  # a blob (or tree) a ref names
        else:
            provided = False  # a commit's root tree
    if held is not None:
        yield held[0].decode("ascii"), held[1], held[2]
