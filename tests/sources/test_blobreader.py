"""BlobReader: blobs come back in the order asked, with missing and oversize ones marked."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from gitrepo import GitRepo

from pgsweep.sources.blobreader import BlobReader, BlobRef
from pgsweep.sources.interface import SourceError


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write("small.txt", "small\n")
    r.write("big.txt", "b" * 5000)
    r.write("empty.txt", "")
    r.commit("files")
    return r


def test_order_missing_too_large_and_empty(repo: GitRepo) -> None:
    ids = [repo.blob(f"HEAD:{n}") for n in ("small.txt", "big.txt", "empty.txt")]
    refs = [BlobRef(ids[0], "small.txt"), BlobRef("1" * 40), BlobRef(ids[1], "big.txt"),
            BlobRef(ids[2], "empty.txt"), BlobRef(repo.head())]
    reader = BlobReader(str(repo.root / ".git"), max_size=1000, read_ahead=16)
    got = [(r.ref.oid, r.size, r.data, r.error) for r in reader.iter_blobs(refs)]
    assert got == [
        (ids[0], 6, b"small\n", None),
        ("1" * 40, 0, None, "missing"),
        (ids[1], 5000, None, "too large"),
        (ids[2], 0, b"", None),
        (repo.head(), got[4][1], None, "not a blob"),
    ]


def test_a_failing_enumeration_is_raised_not_swallowed(repo: GitRepo) -> None:
    def refs() -> Iterator[BlobRef]:
        yield BlobRef(repo.blob("HEAD:small.txt"))
        raise SourceError("enumeration broke")

    reader = BlobReader(str(repo.root / ".git"), max_size=1000)
    with pytest.raises(SourceError, match="enumeration broke"):
        list(reader.iter_blobs(refs()))


def test_consumer_may_stop_early(repo: GitRepo) -> None:
    ref = BlobRef(repo.blob("HEAD:small.txt"))
    reader = BlobReader(str(repo.root / ".git"), max_size=1000, read_ahead=1)
    it = reader.iter_blobs([ref] * 500)
    assert next(it).data == b"small\n"
    assert isinstance(it, Generator)
    it.close()  # the reading thread and git stop; nothing hangs
