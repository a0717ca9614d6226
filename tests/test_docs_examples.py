"""Every command example in README.md and docs/*.md runs against the demo repository.

An example is a line starting with `pgsweep ` (or `$ pgsweep `, `sudo pgsweep `,
`NAME=value pgsweep `) or `make scan` in a `sh`, `console`, `bash` or unlabelled code
block; `text` blocks hold usage synopses (`[--store DB]`, `ID`, `a|b`) and are not run.
The lines of one page run in order, in one world: a home whose `~/src/app` is
`pgsweep demo` (the current folder), `~/src/shop` and `~/src/shop-fork` clones of it, and
the small files the examples name. The few names that stand for something on the reader's
machine are substituted (SUBSTITUTE), a credential id becomes the demo's riskiest
credential, a team PostgreSQL store becomes a database of the tests' own server, and an
example passes when it exits 0 or 1 without a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, make_password, run_cli_here

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
RUNNABLE = {"sh", "console", "bash", "shell", ""}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)

# Names in examples that stand for the reader's own things.
SUBSTITUTE = {
    "/path/to/repo": "~/src/app",
    "path": "~/src/app",          # make … REPO=path
    "PATH": ".",                  # pgsweep verify --scan PATH
    "/mnt/evidence": "~/evidence",
    "/etc/pgbouncer": "~/etc/pgbouncer",
    "A..B": "HEAD~1..HEAD",
}
# Examples that cannot run here (by how they start), and why. Keep this short.
NOT_RUN = {
    "pgsweep verify --scan PATH --verify-live":
        "logs in to the demo's hosts (names under acme-corp.net): needs the network",
    "sudo pgsweep sweep": "sweeps the machine the tests run on, as root",
    "GITHUB_TOKEN=… pgsweep audit": "lists repositories through GitHub's API: the network",
    "GITLAB_TOKEN=… pgsweep audit": "lists repositories through GitLab's API: the network",
    "pgsweep audit --repos repos.txt --executor dask --scheduler":
        "a Dask cluster whose scheduler and workers run on other machines",
}
ID_AFTER = {"explain", "triage"}
# A team's PostgreSQL findings store in the examples: a database of the tests' own server.
TEAM_STORE = "postgresql://pgsweep@db.corp.net/pgsweep"
PREFIXES = re.compile(r"^(?:sudo\s+|[A-Z][A-Z0-9_]*=\S*\s+)*")


def is_run(command: str) -> bool:
    return not any(command.startswith(prefix) for prefix in NOT_RUN)


def examples(page: Path) -> list[tuple[int, str]]:
    """(line number, command) of every example on a page."""
    text = page.read_text()
    out = []
    for fence in FENCE.finditer(text):
        if fence.group(1) not in RUNNABLE:
            continue
        first = text.count("\n", 0, fence.start(2)) + 1
        lines = fence.group(2).splitlines()
        i = 0
        while i < len(lines):
            number, line = first + i, lines[i].strip()
            while line.endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line[:-1] + " " + lines[i].strip()
            i += 1
            line = line.removeprefix("$ ")
            if PREFIXES.sub("", line).startswith(("pgsweep ", "make scan")):
                out.append((number, line))
    return out


def words(command: str, home: Path, credential: str, store: str = "") -> list[str]:
    """The example's words, with SUBSTITUTE, `~`, credential ids and the team store filled in."""
    out: list[str] = []
    for word in shlex.split(command, comments=True):
        key, eq, value = word.rpartition("=") if word.startswith("REPO=") else ("", "", word)
        value = SUBSTITUTE.get(value, value)
        if value == TEAM_STORE:
            value = store
        if out and out[-1] in ID_AFTER and re.fullmatch(r"[0-9a-f]{4,16}", value):
            value = credential
        if value.startswith("~/"):
            value = str(home / value[2:])
        out.append(key + eq + value)
    return out


class World:
    """The home the examples run in."""

    def __init__(self, root: Path, store: str = "") -> None:
        self.store = store
        self.home = root / "home"
        self.app = self.home / "src" / "app"
        self.app.parent.mkdir(parents=True)
        with self.env():
            assert run_cli_here("demo", str(self.app)).returncode == 0
            found = run_cli_here("scan", str(self.app), "--no-store", "--format", "json")
        self.credential = json.loads(found.stdout)["credentials"][0]["id"]
        git = ["git", "-C", str(self.app)]
        subprocess.run([*git, "update-ref", "refs/remotes/origin/main", "HEAD~1"], check=True)
        for name in ("shop", "shop-fork"):
            subprocess.run(["git", "clone", "-q", str(self.app), str(self.app.parent / name)],
                           check=True)
        self._files()

    def _files(self) -> None:
        app, home = self.app, self.home
        (app / "roles.sql").write_text(
            "CREATE ROLE orders;\nALTER ROLE orders WITH LOGIN PASSWORD "
            "'md5a7d1e8c0e1f5b4c3d2e1f0a9b8c7d6e5';\n")
        (app / ".gitleaksignore").write_text("# triaged with gitleaks\n")
        (app / ".secrets.baseline").write_text(json.dumps(
            {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {}}))
        (app / "repos.txt").write_text(f"{app.parent / 'shop'}\n{app.parent / 'shop-fork'}\n")
        shipped = yaml.safe_load((REPO_ROOT / "signatures" / "pg_pooler.yml").read_text())
        sig = {**shipped["signatures"][0], "id": "pg.acme.1", "name": "Acme userlist copy"}
        (app / "ci" / "pg-signatures").mkdir(parents=True)
        (app / "ci" / "pg-signatures" / "acme.yml").write_text(
            yaml.safe_dump({"signatures": [sig]}, sort_keys=False))
        leak = f"postgresql://ops:{make_password()}@db.corp.net/ops"
        alice = home / "evidence" / "home" / "alice"
        alice.mkdir(parents=True)
        (alice / ".bash_history").write_text(f"psql {leak}\n")
        (home / "etc" / "pgbouncer").mkdir(parents=True)
        (home / "etc" / "pgbouncer" / "userlist.txt").write_text(f'"app" "{make_password()}"\n')
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True)
        mail = f"From: ops@corp.net\nSubject: db\n\nuse {leak}\n"
        (home / "Maildir" / "cur" / "1.eml:2,S").write_text(mail)
        mbox = app / "Takeout" / "Mail" / "All mail Including Spam and Trash.mbox"
        mbox.parent.mkdir(parents=True)
        mbox.write_text(f"From ops@corp.net Mon Jan  1 00:00:00 2024\n{mail}")
        with zipfile.ZipFile(app / "Acme Slack export Jan 1 2024 - Jan 31 2024.zip", "w") as z:
            z.writestr("channels.json", json.dumps([{"id": "C1", "name": "ops"}]))
            z.writestr("ops/2024-01-02.json",
                       json.dumps([{"type": "message", "user": "U1", "text": leak,
                                    "ts": "1704153600.000100"}]))

    @contextlib.contextmanager
    def env(self) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ["HOME"] = str(self.home)
        for name in list(os.environ):
            if name.startswith(("XDG_", "PGSWEEP_")):
                del os.environ[name]
        stdin, sys.stdin = sys.stdin, io.StringIO("")
        try:
            yield
        finally:
            sys.stdin = stdin
            os.environ.clear()
            os.environ.update(saved)

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        argv = words(command, self.home, self.credential, self.store)
        if argv[0] == "make":  # the Makefile's recipe, with this checkout's interpreter
            return subprocess.run(
                ["make", "-s", "-f", str(REPO_ROOT / "Makefile"), "-o", ".venv/.installed-stamp",
                 f"PY={sys.executable}", *argv[1:]],
                cwd=self.app, capture_output=True, text=True, timeout=120,
                env={**os.environ, "HOME": str(self.home),
                     "PYTHONPATH": str(REPO_ROOT / "src")})
        with self.env():
            return run_cli_here(*argv[1:], cwd=self.app)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_example_on_the_page_runs(
    page: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    todo = [(n, c) for n, c in examples(page) if is_run(c)]
    if not todo:
        return
    team = any(TEAM_STORE in c for _, c in todo)
    world = World(tmp_path, str(request.getfixturevalue("pg_store_url")) if team else "")
    failed = []
    for number, command in todo:
        proc = world.run(command)
        bad = proc.returncode not in (0, 1) or "Traceback" in proc.stdout + proc.stderr
        if bad:
            failed.append(f"{page.name}:{number}: {command}\n  exit {proc.returncode}: "
                          f"{(proc.stderr or proc.stdout).strip()[-400:]}")
    assert not failed, "\n".join(failed)


def test_synopses_are_not_in_runnable_blocks() -> None:
    """A usage line (`[--store DB]`, `a|b`, `...`) is not a command to run: it belongs in
    a `text` block, and this names the line where the run would only report a usage error."""
    grammar = re.compile(r"\[--|\[[A-Z]+\]|\w\|\w|\.\.\.|…")
    wrong = [f"{page.name}:{n}: {c}" for page in PAGES for n, c in examples(page)
             if is_run(c) and grammar.search(c.split(" #")[0])]
    assert wrong == []


def test_not_run_lists_only_examples_that_exist() -> None:
    commands = [c for page in PAGES for _, c in examples(page)]
    assert [p for p in NOT_RUN if not any(c.startswith(p) for c in commands)] == []
    assert [c for c in commands if is_run(c) and PREFIXES.sub("", c) != c] == []
