"""Start-up: `--version` answers without loading the command line's libraries, and the
entry point the package installs is the one that does so."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO_ROOT, make_password, run_cli

from pgsweep import __version__
from pgsweep.cli import COMMAND_MODULES
from pgsweep.findings.fingerprint import redact

PROBE = """
import sys
sys.argv = ["pgsweep", *sys.argv[1:]]
from pgsweep.__main__ import main
try:
    main()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"typer", "rich", "pydantic", "yaml",
               "cryptography", "pygit2", "hyperscan", "email"})
print("loaded:", ",".join(heavy) or "-")
"""


def _probe(*args: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO_ROOT / "src")}, timeout=60)
    return proc.stdout.splitlines()


def test_version_prints_the_version_and_loads_no_library() -> None:
    assert _probe("--version") == [f"pgsweep {__version__}", "loaded: -"]


def test_other_commands_still_go_through_the_cli() -> None:
    lines = _probe("--help")
    assert lines[-1].startswith("loaded:") and "typer" in lines[-1]
    assert any("scan" in line for line in lines[:-1])


def test_version_through_python_m_and_the_installed_entry_point() -> None:
    proc = run_cli("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"pgsweep {__version__}\n", "")
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"pgsweep": "pgsweep.__main__:main"}


def _clean_scan(tmp_path: Path) -> tuple[str, list[str]]:
    """`pgsweep scan --no-store --format json` of a folder without a password, in a new
    interpreter: its output and the modules it had loaded when it finished."""
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "notes.txt").write_text("nothing to see here\n")
    code = ("import sys; from pgsweep.__main__ import main; sys.argv = ['pgsweep', 'scan', "
            f"{str(tmp_path / 'tree')!r}, '--no-store', '--format', 'json']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import json; print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO_ROOT / "src"),
                               "HOME": str(tmp_path / "home")},
                          timeout=120)
    return proc.stdout, json.loads(proc.stderr.strip().splitlines()[-1])


def test_a_clean_scan_loads_no_password_strength_model(tmp_path: Path) -> None:
    """zxcvbn is imported when a first password is judged, not by every command."""
    _, loaded = _clean_scan(tmp_path)
    assert "pgsweep.cli.scan" in loaded and "zxcvbn" not in loaded


COMMANDS_PROBE = """
import importlib, json, pkgutil, sys
import typer
import pgsweep.cli as cli
names = {}
for mod in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
    if not mod.name.startswith("_"):
        before = set(typer.main.get_group(cli.app).commands)
        importlib.import_module(f"pgsweep.cli.{mod.name}")
        for name in typer.main.get_group(cli.app).commands:
            if name not in before:
                names[name] = mod.name
print(json.dumps(names))
print(json.dumps(list(typer.main.get_group(cli.app).commands)))
"""


def test_the_command_table_names_each_command_module_in_the_help_order() -> None:
    """`COMMAND_MODULES` is what importing every module registers, in the order the help
    listed them when every module was imported up front."""
    proc = subprocess.run([sys.executable, "-c", COMMANDS_PROBE], capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO_ROOT / "src")}, timeout=60)
    registered, order = proc.stdout.splitlines()
    assert json.loads(registered) == COMMAND_MODULES
    assert json.loads(order) == list(COMMAND_MODULES)


def test_the_help_lists_every_command_in_order() -> None:
    proc = run_cli("--help", env={"COLUMNS": "100"})
    panel = proc.stdout.split("─ Commands ─")[1].splitlines()
    rows = [line for line in panel if line.startswith("│ ")]
    listed = [line.split()[1] for line in rows if line[2] != " "]  # not a wrapped line
    assert (proc.returncode, listed) == (0, list(COMMAND_MODULES))


def test_a_command_loads_no_other_command_module(tmp_path: Path) -> None:
    """`scan` imports the scan command's module, not audit's, report's, verify's …"""
    stdout, loaded = _clean_scan(tmp_path)
    commands = {f"pgsweep.cli.{module}" for module in COMMAND_MODULES.values()}
    assert ('"findings": []' in stdout, set(loaded) & commands) == (
        True, {"pgsweep.cli.scan"})


def test_a_pre_commit_scan_loads_no_libgit2(tmp_path: Path) -> None:
    """`scan --staged` reads the index with git's commands: pygit2 is not imported; nor are
    the libraries of inputs and outputs it does not meet (YAML, mail, desktop stores,
    excludes, the terminal) once the checked signatures are cached (the first run reads
    their YAML)."""
    repo = tmp_path / "repo"
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org", "HOME": str(tmp_path),
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}
    for args in (["init", "-q", str(repo)], ["-C", str(repo), "commit", "-q", "--allow-empty",
                                              "-m", "first"]):
        subprocess.run(["git", *args], check=True, env=env, capture_output=True)
    password = make_password()
    (repo / ".env").write_text(f"DATABASE_URL=postgres://app:{password}@db.internal/app\n")
    subprocess.run(["git", "-C", str(repo), "add", ".env"], check=True, env=env)
    code = ("import sys; from pgsweep.__main__ import main; sys.argv = ['pgsweep', 'scan', "
            f"'--staged', {str(repo)!r}, '--no-store', '--format', 'json']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'pygit2', 'yaml', 'cryptography', 'pathspec', 'email.parser', 'rich'}\n"
            "print(sorted(heavy & set(sys.modules)), file=sys.stderr)")
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={"PYTHONPATH": str(REPO_ROOT / "src"), "HOME": str(tmp_path)},
                              timeout=120)
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["path"], f["line"], f["user"], f["host"], f["secret"]) for f in findings] == [
        (".env", 1, "app", "db.internal", redact(password))]
    assert proc.stderr.strip().splitlines()[-1] == "[]"
