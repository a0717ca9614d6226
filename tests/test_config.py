"""pgsweep.toml / [tool.pgsweep]: discovery, excludes, fail_on, allowlists, unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_password, run_cli

import pgsweep.core.config as config
from pgsweep.findings.fingerprint import redact


def _write_leaks(root: Path) -> dict[str, str]:
    pw = {k: make_password() for k in ("prod", "staging", "vendored", "throwaway")}
    (root / "vendor").mkdir(parents=True)
    (root / "app.env").write_text(
        f"PROD=postgres://app:{pw['prod']}@db.corp.net/prod\n"
        f"STAGING=postgres://app:{pw['staging']}@pg.staging.corp.net/app\n"
        f"CI=postgres://ci:ci-throwaway-{pw['throwaway']}@pg.prod.corp.net/ci\n"
    )
    (root / "vendor" / "lib.env").write_text(f"X=postgres://v:{pw['vendored']}@v.corp.net/v\n")
    return pw


def test_config_excludes_allowlists_and_fail_on(tmp_path: Path) -> None:
    pw = _write_leaks(tmp_path)
    (tmp_path / "pgsweep.toml").write_text(
        'exclude = ["vendor/*"]\n'
        'fail_on = "critical"\n'
        "[allowlist]\n"
        'host_patterns = ["\\\\.staging\\\\.corp\\\\.net$"]\n'
        "values = ['^ci-throwaway-']\n"
    )
    proc = run_cli("scan", str(tmp_path), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr  # only high findings, fail_on critical
    import json

    got = [(r["path"].rsplit("/", 1)[-1], r["line"], r["host"], r["secret"])
           for r in map(json.loads, proc.stdout.splitlines())]
    assert got == [("app.env", 1, "db.corp.net", redact(pw["prod"]))]
    # the command line wins over the config
    assert run_cli("scan", str(tmp_path), "--fail-on", "high").returncode == 1


def test_pyproject_tool_table_and_explicit_config(tmp_path: Path) -> None:
    pw = _write_leaks(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pgsweep]\nexclude = ["vendor/*"]\n'
        '[tool.pgsweep.allowlist]\nhosts = ["DB.corp.net", "pg.staging.corp.net"]\n'
    )
    cfg = config.load_for_scan(str(tmp_path))
    assert cfg.excludes == ("vendor/*",)
    assert cfg.allow_hosts == {"db.corp.net", "pg.staging.corp.net"}
    proc = run_cli("scan", str(tmp_path), "--format", "csv")
    assert proc.returncode == 1
    assert redact(f"ci-throwaway-{pw['throwaway']}") in proc.stdout
    assert "db.corp.net" not in proc.stdout and "v.corp.net" not in proc.stdout
    other = tmp_path / "elsewhere.toml"
    other.write_text('exclude = ["*.env"]\n')
    proc = run_cli("scan", str(tmp_path), "--config", str(other), "--format", "jsonl")
    assert (proc.returncode, proc.stdout) == (0, "")


def test_pyproject_without_tool_table_is_no_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert config.load_for_scan(str(tmp_path)) == config.ScanConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('excludes = ["x"]\n', "unknown key excludes (known: allowlist, baseline, exclude, "
                               "fail_on, signatures)"),
        ('[allowlist]\nhost = ["x"]\n', "[allowlist]: unknown key host"),
        ('fail_on = "urgent"\n', "fail_on: unknown severity 'urgent'"),
        ('exclude = "a"\nsignatures = [1]\n', "signatures must be a string or a list of strings"),
        ("[allowlist]\nvalues = ['(unclosed']\n", "allowlist.values[0]: bad regex"),
        ("exclude = [\n", "not valid TOML"),
        ('signatures = ["no-such-folder"]\n', "no-such-folder is not a directory"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pgsweep.toml").write_text(text)
    (tmp_path / "a.txt").write_text("nothing\n")
    proc = run_cli("scan", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith("pgsweep: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_missing_explicit_config(tmp_path: Path) -> None:
    proc = run_cli("scan", str(tmp_path), "--config", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2 and "no such config file" in proc.stderr


def test_relative_signature_folder_is_resolved_against_the_config(tmp_path: Path) -> None:
    (tmp_path / "sigs").mkdir()
    (tmp_path / "pgsweep.toml").write_text('signatures = ["sigs"]\nbaseline = "b.json"\n')
    cfg = config.load(tmp_path / "pgsweep.toml")
    assert cfg.signatures == (tmp_path / "sigs",)
    assert cfg.baselines == (tmp_path / "b.json",)
