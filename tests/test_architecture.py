"""docs/architecture.md's folder table is the tree: every stage folder with every module,
in the order of the import-linter layers in pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO_ROOT

SRC = REPO_ROOT / "src" / "pgsweep"
ROW = re.compile(r"^\| `(\w+)/` \| .* \| ([\w, ]+) \|$", re.MULTILINE)


def test_the_folder_table_lists_every_stage_and_module_in_layer_order() -> None:
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text()
    table = {folder: mods.split(", ") for folder, mods in ROW.findall(doc)}
    tree = {
        d.name: sorted(f.stem for f in d.glob("*.py") if f.name != "__init__.py")
        for d in SRC.iterdir() if (d / "__init__.py").exists()
    }
    assert table == tree
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    [layers] = [c["layers"] for c in config["tool"]["importlinter"]["contracts"]
                if c["type"] == "layers"]
    assert [f"pgsweep.{folder}" for folder in table] == layers
    assert sorted(f.name for f in SRC.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_every_module_stays_under_the_size_limit() -> None:
    """A module has one job: 450 lines at most (docs/architecture.md)."""
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
