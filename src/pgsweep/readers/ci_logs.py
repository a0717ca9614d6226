"""Readers for CI job logs: GitHub Actions, GitLab traces, Jenkins, CircleCI, plain .log files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pgsweep.core.models import Chunk, CiLogProvenance, Skipped
from pgsweep.readers.chunking import (
    decode_text,
    epoch_to_iso,
    iso_to_seconds,
    iter_grouped,
    iter_lines,
    render_terminal,
    skipped_if_binary,
)
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.sniff import looks_binary

# (job, step, timestamp): lines sharing it go into one chunk.
Meta = tuple[str | None, str | None, str | None]
Item = tuple[Meta, str, int]

_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"


@dataclass(frozen=True)
class _Origin:
    """Where a log came from; provenance for each group of lines is built from it."""

    info: FileInfo
    system: str

    def provenance(self, meta: Meta) -> CiLogProvenance:
        job, step, timestamp = meta
        i = self.info
        return CiLogProvenance(
            path=i.path, system=self.system, member=i.member, job=job, step=step,
            timestamp=timestamp, **i.facts(),
        )


def _member_path(info: FileInfo) -> str:
    """The innermost archive member's path (`outer.zip!build/1_x.txt` → `build/1_x.txt`)."""
    return (info.member or info.name).rsplit("!", 1)[-1].replace("\\", "/")


def _chunks(info: FileInfo, system: str, items: Iterator[Item]) -> Iterator[Chunk]:
    return iter_grouped(items, _Origin(info, system).provenance)


# --------------------------------------------------------------------------- GitHub Actions
_GH_TS_RE = re.compile(rf"({_ISO})(?:\.\d+)?Z ?")
_GH_HEAD_RE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (?![0-9a-f]{2}[OE][ +])"
)
_GH_MARKER_RE = re.compile(r"##\[([a-z]+)\]")
_GH_FILE_RE = re.compile(r"^\d+_(.+)\.txt$")
# Lines that open the runner's own steps in a whole-job log (they have no `##[group]Run`).
_GH_STEP_LINES = {
    "Post job cleanup.": "Post job cleanup",
    "Cleaning up orphan processes": "Complete job",
}


def github_job_step(member: str) -> tuple[str | None, str | None, bool]:
    """Job and step from a logs-zip member name, and whether the file holds one step.

    `0_build.txt` → (build, None, False); `build/1_Set up job.txt` → (build, Set up job, True);
    `build/system.txt` → (build, system, True). Other names → (None, None, False).
    """
    parts = [p for p in member.split("/") if p]
    if not parts:
        return None, None, False
    m = _GH_FILE_RE.match(parts[-1])
    if len(parts) >= 2:
        job = parts[-2]
        if m:
            return job, m.group(1), True
        if parts[-1] == "system.txt":
            return job, "system", True
        return None, None, False
    if m:
        return m.group(1), None, False
    return None, None, False


class GitHubActionsReader:
    """A job or step log of a GitHub Actions run (from the logs zip or the jobs API)."""

    name = "github-actions"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False  # not this format: the plain-text reader decides
        m = _GH_HEAD_RE.match(head)
        if m is None:
            return False
        seven_digits = m.group(1) is not None and len(m.group(1)) == 8
        named = bool(_GH_FILE_RE.match(info.name.rsplit("/", 1)[-1]))
        return seven_digits or b"##[" in head or named

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "GitHub Actions log")
        if skip:
            yield skip
            return
        job, step, step_file = github_job_step(self._layout_path(info, data))
        items = self._items(decode_text(data), job, step, step_file)
        yield from _chunks(info, "github-actions", items)

    @staticmethod
    def _layout_path(info: FileInfo, data: bytes) -> str:
        """The name to read job and step from: the zip member, or `<dir>/<file>` on disk.

        A zip extracted to disk loses the member/root distinction: `logs/0_build.txt` (a
        whole job) and `build/2_Run tests.txt` (a step) look alike. A whole-job log starts
        with the runner's set-up step and also holds later steps, and a step log does not.
        """
        if info.member:
            return _member_path(info)
        parts = info.path.replace("\\", "/").split("/")
        whole_job = b"Current runner version" in data[:4096] and (
            b"##[group]Run " in data or b"Cleaning up orphan processes" in data
        )
        return parts[-1] if whole_job or len(parts) < 2 else "/".join(parts[-2:])

    def _items(
        self, text: str, job: str | None, step: str | None, step_file: bool
    ) -> Iterator[Item]:
        ts: str | None = None
        for n, raw in enumerate(iter_lines(text), 1):
            raw = raw.removeprefix("\ufeff")
            m = _GH_TS_RE.match(raw)
            body = raw
            if m:
                ts = f"{m.group(1)}+00:00"
                body = raw[m.end() :]
            if not step_file and body.rstrip("\r") in _GH_STEP_LINES:
                step = _GH_STEP_LINES[body.rstrip("\r")]
            marker = _GH_MARKER_RE.match(body)
            if marker:
                kind = marker.group(1)
                body = "" if kind == "endgroup" else body[marker.end() :]
                if kind == "group" and not step_file and body.startswith("Run "):
                    step = render_terminal(body.strip())[0].strip() or step
            for text_line in render_terminal(body):
                yield (job, step, ts), text_line, n


# --------------------------------------------------------------------------- GitLab CI
_GL_TS_RE = re.compile(rf"({_ISO})(?:\.\d+)?Z ([0-9a-f]{{2}})([OE])([ +])")
_GL_HEAD_TS_RE = re.compile(rb"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z [0-9a-f]{2}[OE][ +]")
_GL_SECTION_RE = re.compile(
    r"(?:\x1b\[0K)?section_(start|end):(\d+):([^\s\[\r\x1b]+)(?:\[[^\]\r\n]*\])?\r?(?:\x1b\[0K)?"
)
_GL_JOB_FILE_RE = re.compile(r"^(\d+)\.log$")


class GitLabTraceReader:
    """A GitLab CI raw job trace (API, UI "raw", or the runner's/rails' job.log on disk)."""

    name = "gitlab-trace"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False  # not this format: the plain-text reader decides
        return (
            b"section_start:" in head
            or b"section_end:" in head
            or b"Running with gitlab-runner" in head[:512]
            or _GL_HEAD_TS_RE.match(head) is not None
        )

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "GitLab trace")
        if skip:
            yield skip
            return
        fm = _GL_JOB_FILE_RE.match(info.name.rsplit("/", 1)[-1])
        job = fm.group(1) if fm else None
        yield from _chunks(info, "gitlab", self._items(decode_text(data), job))

    def _logical(self, text: str) -> Iterator[tuple[str, int, str | None]]:
        """Lines with the FF_TIMESTAMPS prefix removed and `+` continuations joined."""
        pending: tuple[str, int, str | None] | None = None
        for n, raw in enumerate(iter_lines(text), 1):
            m = _GL_TS_RE.match(raw)
            if m is None:
                if pending:
                    yield pending
                pending = (raw, n, None)
                continue
            body = raw[m.end() :]
            if m.group(4) == "+" and pending is not None:
                pending = (pending[0] + body, pending[1], pending[2])
                continue
            if pending:
                yield pending
            pending = (body, n, f"{m.group(1)}+00:00")
        if pending:
            yield pending

    def _items(self, text: str, job: str | None) -> Iterator[Item]:
        sections: list[tuple[str, str | None]] = []  # (name, start time)
        for body, n, ts in self._logical(text):
            if "section_" in body:
                for m in _GL_SECTION_RE.finditer(body):
                    kind, stamp, name = m.groups()
                    if kind == "start":
                        sections.append((name, epoch_to_iso(stamp)))
                    else:
                        names = [s[0] for s in sections]
                        if name in names:
                            del sections[len(names) - 1 - names[::-1].index(name) :]
                body = _GL_SECTION_RE.sub("", body)
            step = sections[-1][0] if sections else None
            when = ts or (sections[-1][1] if sections else None)
            for text_line in render_terminal(body):
                yield (job, step, when), text_line, n


# --------------------------------------------------------------------------- Jenkins
_JK_NOTE_RE = re.compile(r"\x1b\[8mha:[^\x1b]*\x1b\[0m")
_JK_TS_RE = re.compile(r"\[(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\] ")
_JK_TIME_RE = re.compile(r"\[\d\d:\d\d:\d\d(?:\.\d+)?\] ")
_JK_STAGE_RE = re.compile(r"\{ \((.*)\)\s*$")
_JK_PATH_RE = re.compile(r"(?:^|/)jobs/(.+)/builds/(\d+)/log(?:\.gz)?$")
_JK_HEAD_RE = re.compile(rb"\A(?:\[[^\]\n]{8,40}\] )?(?:\x1b\[8mha:[^\x1b]*\x1b\[0m)?Started by ")


def jenkins_job(*paths: str) -> str | None:
    """`…/jobs/team/jobs/api/builds/42/log` → `team/api #42` (the first path that has one)."""
    for path in paths:
        m = _JK_PATH_RE.search(path.replace("\\", "/"))
        if m is not None:
            return f"{m.group(1).replace('/jobs/', '/')} #{m.group(2)}"
    return None


class JenkinsReader:
    """A Jenkins build console (`consoleText`, or `builds/<n>/log` on the controller)."""

    name = "jenkins"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False  # not this format: the plain-text reader decides
        return (
            info.name.rsplit("/", 1)[-1] == "consoleText"
            or jenkins_job(_member_path(info), info.path) is not None
            or b"[Pipeline] " in head
            or b"\x1b[8mha:" in head
            or _JK_HEAD_RE.match(head) is not None
        )

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "Jenkins console log")
        if skip:
            yield skip
            return
        job = jenkins_job(_member_path(info), info.path)
        yield from _chunks(info, "jenkins", self._items(decode_text(data), job))

    def _items(self, text: str, job: str | None) -> Iterator[Item]:
        stages: list[str | None] = []
        for n, raw in enumerate(iter_lines(text), 1):
            body = _JK_NOTE_RE.sub("", raw) if "\x1b[8m" in raw else raw
            ts: str | None = None
            m = _JK_TS_RE.match(body)
            if m:
                ts = iso_to_seconds(m.group(1))
                body = body[m.end() :]
            else:
                t = _JK_TIME_RE.match(body)
                if t:
                    body = body[t.end() :]
            if body.startswith("[Pipeline] "):
                rest = body[len("[Pipeline] ") :]
                if rest.startswith("{"):
                    sm = _JK_STAGE_RE.match(rest)
                    name = sm.group(1) if sm else None
                    if name and name.startswith("Branch: "):
                        name = name[len("Branch: ") :]
                    stages.append(name)
                elif rest.startswith("}") and stages:
                    stages.pop()
            step = next((s for s in reversed(stages) if s), None)
            for text_line in render_terminal(body):
                yield (job, step, ts), text_line, n


# --------------------------------------------------------------------------- CircleCI
_CC_HEAD_RE = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\[\s*\{\s*"(?:type|time|message|truncated)"\s*:')
_WS = " \t\r\n"


def _is_step_record(head: bytes) -> bool:
    """The array's first object has the step-output keys (`message` and `type` or `time`),
    so another JSON array of objects (a chat export's day file) is not taken for one."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")[1:].lstrip()
    try:
        obj, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:  # the first object is longer than the head: judge by its keys so far
        first = text.split("}", 1)[0]
        return '"message"' in first and ('"time"' in first or '"truncated"' in first)
    return (isinstance(obj, dict) and isinstance(obj.get("message"), str)
            and ("time" in obj or "truncated" in obj))


class CircleCiReader:
    """CircleCI step output: a JSON array of {type, time, message, truncated} objects."""

    name = "circleci"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False  # not this format: the plain-text reader decides
        return _CC_HEAD_RE.match(head) is not None and _is_step_record(head)

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "CircleCI step output")
        if skip:
            yield skip
            return
        yield from _chunks(info, "circleci", self._items(decode_text(data)))

    def _items(self, text: str) -> Iterator[Item]:
        decoder = json.JSONDecoder()
        pos = _skip_ws(text, 0)
        pos += 1  # '['
        line, counted = 1, 0
        while True:
            pos = _skip_ws(text, pos)
            if pos >= len(text) or text[pos] == "]":
                return
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                obj, end = decoder.raw_decode(text, pos)
            except ValueError:
                break  # truncated or broken: the rest is scanned as plain text below
            if isinstance(obj, dict) and isinstance(obj.get("message"), str):
                ts = iso_to_seconds(obj["time"]) if isinstance(obj.get("time"), str) else None
                for msg_line in obj["message"].split("\n"):
                    for text_line in render_terminal(msg_line):
                        yield (None, None, ts), text_line, line
            else:
                # Not a step record: its text is scanned as it stands, never dropped.
                for n, raw in enumerate(iter_lines(text[pos:end]), line):
                    yield (None, None, None), raw, n
            pos = _skip_ws(text, end)
            if pos < len(text) and text[pos] == ",":
                pos += 1
        for n, raw in enumerate(iter_lines(text[pos:]), line):
            for text_line in render_terminal(raw):
                yield (None, None, None), text_line, n


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


# --------------------------------------------------------------------------- plain logs
_PLAIN_NAME_RE = re.compile(r"\.log(?:\.\d+)?$|\.log\.txt$", re.IGNORECASE)


class PlainLogReader:
    """Any other `.log` file: colour codes dropped, `\\r` overwrites expanded, nothing else."""

    name = "plain-log"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False  # not this format: the plain-text reader decides
        return _PLAIN_NAME_RE.search(info.name) is not None

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        skip = skipped_if_binary(info, data, "text log")
        if skip:
            yield skip
            return
        yield from _chunks(info, "plain", self._items(decode_text(data)))

    def _items(self, text: str) -> Iterator[Item]:
        for n, raw in enumerate(iter_lines(text), 1):
            for text_line in render_terminal(raw):
                yield (None, None, None), text_line, n

