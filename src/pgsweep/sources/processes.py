"""The running processes of this Linux machine: each one's environment and command line, read
from `/proc` (read-only: no process is signalled, traced or stopped)."""

from __future__ import annotations

import os
import pwd
import shlex
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pgsweep.core.models import Chunk, Finding, ProcessProvenance, Skipped

PROC = Path("/proc")
MAX_ENVIRON = 4 * 1024 * 1024  # the kernel caps a process's arguments and environment too


class ProcessSource:
    """Every process's `/proc/PID/environ` and `/proc/PID/cmdline`; unreadable ones are
    counted skips (another user's environment needs root)."""

    def __init__(self, proc: Path = PROC) -> None:
        self.proc = proc
        self._boot = _boot_time(proc)
        self._ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._names: dict[int, str] = {}

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        try:
            pids = sorted(int(e.name) for e in os.scandir(self.proc) if e.name.isdigit())
        except OSError as exc:
            yield Skipped(str(self.proc), f"process: cannot list processes ({exc.strerror})",
                          incomplete=True)
            return
        me = os.getpid()
        for pid in pids:
            if pid == me:
                continue  # this scan's own environment is not a leak on the machine
            yield from self._iter_process(pid)

    def _iter_process(self, pid: int) -> Iterator[Chunk | Skipped]:
        base = self.proc / str(pid)
        user, exe, started = self._owner(base), self._exe(base), self._started(base)
        for part in ("environ", "cmdline"):
            where = f"{base}/{part}"
            try:
                with open(base / part, "rb") as fh:
                    raw = fh.read(MAX_ENVIRON + 1)
            except (FileNotFoundError, ProcessLookupError):
                yield Skipped(where, "process: exited before it was read")
                continue
            except PermissionError:
                yield Skipped(where, f"process: {part} not readable (another user's process)",
                              incomplete=True)
                continue
            except OSError as exc:
                yield Skipped(where, f"process: {part} not readable ({exc.strerror or exc})",
                              incomplete=True)
                continue
            if len(raw) > MAX_ENVIRON:
                yield Skipped(where, "too large")
                continue
            fields = [f.decode("utf-8", "surrogateescape") for f in raw.split(b"\0") if f]
            if not fields:
                continue  # kernel threads and zombies have neither
            lines = fields if part == "environ" else [shlex.join(fields)]
            texts: list[str] = []
            origin: list[int] = []
            for n, line in enumerate(lines, 1):
                pieces = line.split("\n")
                texts += pieces
                origin += [n] * len(pieces)
            yield Chunk(
                data="\n".join(texts).encode("utf-8", "surrogateescape"),
                provenance=ProcessProvenance(pid=pid, part=part, user=user, exe=exe,
                                             started=started),
                line_map=tuple(origin),
            )

    def _owner(self, base: Path) -> str | None:
        try:
            uid = base.stat().st_uid
        except OSError:
            return None
        if uid not in self._names:
            try:
                self._names[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                self._names[uid] = str(uid)
        return self._names[uid]

    @staticmethod
    def _exe(base: Path) -> str | None:
        try:
            return os.readlink(base / "exe")
        except OSError:
            pass
        try:  # another user's process: its command name is readable by everyone
            return (base / "comm").read_text(errors="replace").strip() or None
        except OSError:
            return None

    def _started(self, base: Path) -> str | None:
        """From field 22 of /proc/PID/stat (clock ticks after boot) and /proc/stat's btime."""
        if self._boot is None:
            return None
        try:
            stat = (base / "stat").read_text(errors="replace")
            ticks = int(stat[stat.rindex(")") + 2:].split()[19])
        except (OSError, ValueError, IndexError):
            return None
        stamp = self._boot + ticks / self._ticks
        return datetime.fromtimestamp(int(stamp), tz=UTC).isoformat(timespec="seconds")

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)


def _boot_time(proc: Path) -> float | None:
    try:
        for line in (proc / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
