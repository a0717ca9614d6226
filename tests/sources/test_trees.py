"""Trees: a tar's members opened by name give their exact bytes, read straight from an
uncompressed tar, through tarfile otherwise."""

from __future__ import annotations

import gzip
import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from test_archives import make_tar

from pgsweep.readers.interface import read_limited
from pgsweep.sources.trees import DirTree, TarTree

FILES = {"manifest.json": b'[{"Config": "c.json"}]', "empty": b"",
         "a/layer.tar": bytes(range(256)) * 40 + b"tail", "b/c.json": b"{}\n" * 700}


def read_in_pieces(tree: TarTree, name: str) -> bytes:
    with tree.open(name) as fh:
        first = fh.read(5)
        return first + fh.read(1000) + fh.read()


@pytest.mark.parametrize("where", ["file", "memory", "gzip"])
def test_each_member_opens_to_its_own_bytes(tmp_path: Path, where: str) -> None:
    data = make_tar(FILES)
    path = tmp_path / "image.tar"
    path.write_bytes(gzip.compress(data) if where == "gzip" else data)
    with path.open("rb") as raw:
        tree = TarTree(io.BytesIO(data) if where == "memory" else raw)
        assert [e.name for e in tree.entries()] == list(FILES)
        # out of order and twice: every open reads its own member from its start
        for name in [*reversed(FILES), "a/layer.tar"]:
            assert read_in_pieces(tree, name) == FILES[name], name
            with tree.open(name) as fh:
                assert fh.read(-1) == FILES[name]
                assert fh.read(10) == b""
        tree.close()


def test_a_sparse_member_reads_with_its_holes(tmp_path: Path) -> None:
    """Its bytes in the tar are not the file (the holes are a map): tarfile reads it."""
    path = tmp_path / "holes.bin"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024 * 1024)
        fh.seek(1_500_000)
        fh.write(b"PGPASSWORD=x\n")
    subprocess.run(["tar", "--sparse", "-cf", "sparse.tar", "holes.bin"], cwd=tmp_path,
                   check=True)
    with (tmp_path / "sparse.tar").open("rb") as raw:
        tree = TarTree(raw)
        assert read_in_pieces(tree, "holes.bin") == path.read_bytes()


def test_a_tar_cut_after_it_was_listed_is_an_error(tmp_path: Path) -> None:
    data = make_tar(FILES)
    path = tmp_path / "image.tar"
    path.write_bytes(data)
    with path.open("r+b") as raw:
        tree = TarTree(raw)
        raw.truncate(data.index(FILES["a/layer.tar"]) + 1000)
        with tree.open("a/layer.tar") as fh:
            assert fh.read(600) == FILES["a/layer.tar"][:600]
            with pytest.raises(tarfile.ReadError, match="unexpected end of data"):
                fh.read(600)


def test_a_file_read_at_its_listed_size_is_read_whole_and_bounded(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    (root / "small.json").write_bytes(b"[1]")
    (root / "grows.json").write_bytes(b"x" * 10)
    tree = DirTree(root)
    sizes = {e.name: e.size for e in tree.entries()}
    (root / "grows.json").write_bytes(b"x" * 5000)  # changed after it was listed
    assert read_limited(tree, "small.json", 100, sizes["small.json"]) == b"[1]"
    assert read_limited(tree, "grows.json", 8000, sizes["grows.json"]) == b"x" * 5000
    assert read_limited(tree, "grows.json", 4999, sizes["grows.json"]) is None
    assert read_limited(tree, "grows.json", 5000) == b"x" * 5000
