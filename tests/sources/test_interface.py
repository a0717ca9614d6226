"""Capabilities are declared: the pipeline finds what a source can do from its protocols."""

from __future__ import annotations

from pathlib import Path

from gitrepo import GitRepo

from pgsweep.core.options import ScanOptions
from pgsweep.sources.archives import ArchiveLimits
from pgsweep.sources.files import FileSource
from pgsweep.sources.git import GitSource
from pgsweep.sources.interface import Source, SplittableSource, TippedSource
from pgsweep.sources.stdin import StdinSource
from pgsweep.sources.sweep import SweepSource


def test_a_git_history_can_be_shared_out_and_names_its_tips(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "repo")
    r.write("a.env", "one\n")
    head = r.commit("first")
    source = GitSource(r.root, ScanOptions(path=str(r.root)), parallel_min_objects=0)
    assert isinstance(source, SplittableSource) and isinstance(source, TippedSource)
    assert source.tips() == [head]
    shards = source.shards(2)
    assert shards is not None and shards.count == 2
    assert source.fill_shards() == 1  # one blob listed, for the two shards to share
    first = shards.open(0)
    assert isinstance(first, GitSource) and first is not source


def test_other_sources_are_read_in_one_process(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("x\n")
    others: list[Source] = [
        FileSource(tmp_path), StdinSource(ArchiveLimits()),
        SweepSource(tmp_path, ScanOptions(path=str(tmp_path)))]
    for source in others:
        assert isinstance(source, Source)
        assert not isinstance(source, SplittableSource), source
        assert not isinstance(source, TippedSource), source
