"""Scan orchestration: recording into the store, incremental git rescans, scan versions."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from conftest import run_cli

from pgsweep.core.models import Chunk, Finding, GitProvenance, Skipped
from pgsweep.core.options import ScanOptions
from pgsweep.jobs.scan import run_scan, scan_version
from pgsweep.sources.git_tips import blobs_at, default_tip, list_tips, present_commits
from pgsweep.sources.interface import Source
from pgsweep.store import Store, repo_key_for

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=stdin, check=True, capture_output=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


def commit_file(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"add {name}")
    return git(repo, "rev-parse", "HEAD").decode().strip()


class RevListSource:
    """A deliberately small git source for these tests, until pgsweep.sources.git lands:
    every blob reachable from the refs and not from `opts.exclude_tips`, via the git CLI."""

    def __init__(self, opts: ScanOptions) -> None:
        self.repo = Path(opts.path)
        self.exclude = opts.exclude_tips

    def iter_items(self) -> Iterator[Chunk | Skipped]:
        args = ["rev-list", "--objects", "--all"]
        if self.exclude:
            args += ["--not", *self.exclude]
        paths = {}
        for line in git(self.repo, *args).decode().splitlines():
            oid, _, path = line.partition(" ")
            paths[oid] = path
        checked = git(self.repo, "cat-file", "--batch-check", stdin="\n".join(paths).encode())
        tip = default_tip(self.repo)
        at_tip = blobs_at(self.repo, tip) if tip else set()
        for line in checked.decode().splitlines():
            oid, kind, _ = line.split()
            if kind == "blob":
                data = git(self.repo, "cat-file", "blob", oid)
                prov = GitProvenance(
                    repo=str(self.repo), blob=oid, path=paths[oid], present_at_head=oid in at_tip
                )
                yield Chunk(data, prov)

    def attribute(self, findings: Sequence[Finding]) -> list[Finding]:
        return list(findings)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


@pytest.fixture
def opened() -> list[ScanOptions]:
    return []


@pytest.fixture
def opener(opened: list[ScanOptions]) -> Callable[[ScanOptions], Source]:
    def open_source(opts: ScanOptions) -> Source:
        opened.append(opts)
        return RevListSource(opts)

    return open_source


def last_tips(opened: list[ScanOptions]) -> tuple[str, ...]:
    """The tips the last scan was told to leave out (its history was recorded before)."""
    return opened[-1].exclude_tips


def leak(password: str, host: str) -> str:
    return f"DATABASE_URL=postgresql://app:{password}@{host}:5432/prod\n"


def places(findings: Sequence[Finding]) -> list[tuple[str | None, int, str | None, str, str]]:
    return sorted(
        (f.provenance.path, f.line, f.user, ",".join(f.hosts), f.secret)
        for f in findings
    )


def test_rescans_read_only_new_history_and_report_everything(
    tmp_path: Path, repo: Path, opener: Callable[[ScanOptions], Source], opened: list[ScanOptions]
) -> None:
    pw1, pw2 = "Pw" + os.urandom(6).hex(), "Pw" + os.urandom(6).hex()
    commit_file(repo, "README.md", "# app\n")
    first = commit_file(repo, "prod.env", leak(pw1, "db1.corp.net"))
    opts = ScanOptions(path=str(repo))
    key = repo_key_for(str(repo))
    with Store.open(tmp_path / "s.db") as store:
        cold = run_scan(opts, store, open_source=opener)
        assert last_tips(opened) == ()
        assert cold.stats.blobs == 2
        assert places(cold.findings) == [("prod.env", 1, "app", "db1.corp.net", pw1)]
        assert store.scanned_tips(key, scan_version(opts)) == [first]

        second = commit_file(repo, "stage.env", leak(pw2, "db2.corp.net"))
        warm = run_scan(opts, store, open_source=opener)
        assert last_tips(opened) == (first,)
        assert warm.stats.blobs == 1  # only stage.env's blob was read
        assert places(warm.findings) == [
            ("prod.env", 1, "app", "db1.corp.net", pw1),
            ("stage.env", 1, "app", "db2.corp.net", pw2),
        ]
        assert sorted(c.hosts for c in warm.credentials) == [("db1.corp.net",), ("db2.corp.net",)]
        assert warm.stats.findings == 2
        assert store.scanned_tips(key, scan_version(opts)) == [second]

        # Nothing new: the source is not read at all, the report is still complete.
        idle = run_scan(opts, store, open_source=opener)
        assert idle.stats.chunks == 0
        assert places(idle.findings) == places(warm.findings)


def test_a_rescan_refreshes_whether_old_findings_are_still_at_the_tip(
    tmp_path: Path, repo: Path, opener: Callable[[ScanOptions], Source]
) -> None:
    pw = "Pw" + os.urandom(6).hex()
    commit_file(repo, "prod.env", leak(pw, "db1.corp.net"))
    opts = ScanOptions(path=str(repo))
    with Store.open(tmp_path / "s.db") as store:
        [before] = run_scan(opts, store, open_source=opener).findings
        assert before.provenance.present_at_head is True  # type: ignore[union-attr]
        git(repo, "rm", "-q", "prod.env")
        commit_file(repo, "README.md", "# app\n")
        [after] = run_scan(opts, store, open_source=opener).findings
        assert after.id == before.id
        assert after.provenance.present_at_head is False  # type: ignore[union-attr]
        assert after.secret == pw
        [stored] = store.findings()
        assert stored.provenance.present_at_head is False  # type: ignore[union-attr]


def test_a_changed_signature_set_rescans_everything(
    tmp_path: Path, repo: Path, opener: Callable[[ScanOptions], Source], opened: list[ScanOptions]
) -> None:
    sigdir = tmp_path / "sigs"
    sigdir.mkdir()
    custom = sigdir / "pg_custom.yml"
    custom.write_text(
        "id: pg.custom.1\nname: custom\ndescription: one\nkeywords: [pgcustompw]\n"
        "pattern: 'PGCUSTOMPW=(?P<pw>\\S+)'\nfields: {password: pw}\nseverity: low\n"
        "examples: ['PGCUSTOMPW=Xy7-kq2Lm9']\nnegative_examples: ['PGCUSTOMPW=']\n"
    )
    head = commit_file(repo, "a.env", leak("Pw" + os.urandom(6).hex(), "db.corp.net"))
    opts = ScanOptions(path=str(repo), extra_signatures=(sigdir,))
    before = scan_version(opts)
    with Store.open(tmp_path / "s.db") as store:
        run_scan(opts, store, open_source=opener)
        run_scan(opts, store, open_source=opener)
        assert last_tips(opened) == (head,)
        custom.write_text(custom.read_text().replace("description: one", "description: two"))
        assert scan_version(opts) != before
        full = run_scan(opts, store, open_source=opener)
        assert last_tips(opened) == ()
        assert full.stats.blobs == 1
    assert scan_version(ScanOptions(path=str(repo), max_blob_size=1)) != scan_version(
        ScanOptions(path=str(repo))
    )


def test_no_store_a_new_store_and_partial_scans_are_cold(
    tmp_path: Path, repo: Path, opener: Callable[[ScanOptions], Source], opened: list[ScanOptions]
) -> None:
    first = commit_file(repo, "a.txt", "nothing here\n")
    opts = ScanOptions(path=str(repo))
    with Store.open(tmp_path / "s.db") as store:
        run_scan(opts, store, open_source=opener)
    run_scan(opts, None, open_source=opener)
    assert last_tips(opened) == ()
    with Store.open(tmp_path / "other.db") as fresh:
        run_scan(opts, fresh, open_source=opener)
        assert last_tips(opened) == ()
    key = repo_key_for(str(repo))
    commit_file(repo, "b.env", leak("Pw" + os.urandom(6).hex(), "db.corp.net"))
    with Store.open(tmp_path / "s.db") as store:
        partial = run_scan(ScanOptions(path=str(repo), since=first), store, open_source=opener)
        assert last_tips(opened) == ()
        run_scan(ScanOptions(path=str(repo), worktree=True), store, open_source=opener)
        assert last_tips(opened) == ()
        # What partial scans record stays out of the repository's full-history view.
        assert [f.provenance.path for f in partial.findings] == ["b.env"]
        assert store.findings(key) == []
        assert store.findings(key + "#partial") == list(partial.findings)
        assert store.scanned_tips(key, scan_version(opts)) == [first]


def test_tips_and_presence_from_git(repo: Path) -> None:
    assert list_tips(repo) == ()
    one = commit_file(repo, "a.txt", "a\n")
    git(repo, "tag", "-a", "v1", "-m", "v1")
    git(repo, "checkout", "-q", "-b", "side")
    two = commit_file(repo, "b.txt", "b\n")
    assert list_tips(repo) == tuple(sorted({one, two}))
    assert present_commits(repo, [one, "0" * 40]) == (one,)


def test_git_source_rescan_end_to_end(tmp_path: Path, repo: Path) -> None:
    """The whole CLI with the git source honouring ScanOptions.exclude_tips."""
    pw1, pw2 = "Pw" + os.urandom(6).hex(), "Pw" + os.urandom(6).hex()
    commit_file(repo, "README.md", "# app\n")
    commit_file(repo, "docs.md", "see the wiki\n")
    commit_file(repo, "prod.env", leak(pw1, "db1.corp.net"))
    store = str(tmp_path / "s.db")
    cold = run_cli("scan", str(repo), "--format", "json", "--store", store)
    assert cold.returncode == 1, cold.stderr
    assert json.loads(cold.stdout)["stats"]["blobs"] == 3
    commit_file(repo, "stage.env", leak(pw2, "db2.corp.net"))
    warm = run_cli("scan", str(repo), "--format", "json", "--store", store, "--reveal")
    doc = json.loads(warm.stdout)
    assert doc["stats"]["blobs"] == 1
    assert sorted((f["path"], f["line"], f["host"], f["secret"]) for f in doc["findings"]) == [
        ("prod.env", 1, "db1.corp.net", pw1),
        ("stage.env", 1, "db2.corp.net", pw2),
    ]


def test_a_rescan_finds_a_new_leak_on_one_branch_while_another_is_unchanged(
    tmp_path: Path, repo: Path
) -> None:
    """The real git source: one ref moves, another stays; the moved one's new blob is read."""
    pw_main, pw_side, pw_new, pw_later = (
        "Pw" + os.urandom(6).hex() for _ in range(4))
    commit_file(repo, "prod.env", leak(pw_main, "db1.corp.net"))
    git(repo, "checkout", "-q", "-b", "side")
    commit_file(repo, "side.env", leak(pw_side, "db2.corp.net"))
    git(repo, "checkout", "-q", "main")
    opts = ScanOptions(path=str(repo))
    with Store.open(tmp_path / "s.db") as store:
        cold = run_scan(opts, store)
        assert places(cold.findings) == [
            ("prod.env", 1, "app", "db1.corp.net", pw_main),
            ("side.env", 1, "app", "db2.corp.net", pw_side)]
        commit_file(repo, "stage.env", leak(pw_new, "db3.corp.net"))  # main moves, side not
        warm = run_scan(opts, store)
        assert warm.stats.blobs == 1
        assert places(warm.findings) == [
            ("prod.env", 1, "app", "db1.corp.net", pw_main),
            ("side.env", 1, "app", "db2.corp.net", pw_side),
            ("stage.env", 1, "app", "db3.corp.net", pw_new)]
        git(repo, "checkout", "-q", "side")  # now the other way round
        commit_file(repo, "later.env", leak(pw_later, "db4.corp.net"))
        again = run_scan(opts, store)
        assert again.stats.blobs == 1
        assert [p for p in places(again.findings) if p[0] == "later.env"] == [
            ("later.env", 1, "app", "db4.corp.net", pw_later)]
