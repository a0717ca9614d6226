"""Read `pgsweep.toml` (or `[tool.pgsweep]` in pyproject.toml) into a validated ScanConfig."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import Finding, Severity

CONFIG_NAME = "pgsweep.toml"
PYPROJECT = "pyproject.toml"
TOP_KEYS = frozenset({"exclude", "signatures", "fail_on", "baseline", "allowlist"})
ALLOWLIST_KEYS = frozenset({"hosts", "host_patterns", "values"})


class ConfigError(PgsweepError):
    """The config file is unreadable or holds an unknown key or a bad value."""


@dataclass(frozen=True)
class ScanConfig:
    """Settings from a config file; paths in it are resolved against the file's folder."""

    path: Path | None = None
    excludes: tuple[str, ...] = ()
    signatures: tuple[Path, ...] = ()
    fail_on: Severity | None = None
    baselines: tuple[Path, ...] = ()
    allow_hosts: frozenset[str] = frozenset()  # exact host names, lower case
    allow_host_patterns: tuple[re.Pattern[str], ...] = ()
    allow_values: tuple[re.Pattern[str], ...] = ()

    def suppressors(self) -> list[HostAllowlist | ValueAllowlist]:
        """The allowlists as finding suppressors (pgsweep.findings.baseline.apply runs them).

        They act on findings after the scan, like baselines, so a scan served from the
        findings store honours today's allowlist, not the one of the scan that stored it.
        """
        out: list[HostAllowlist | ValueAllowlist] = []
        if self.allow_hosts or self.allow_host_patterns:
            out.append(HostAllowlist(self.allow_hosts, self.allow_host_patterns))
        if self.allow_values:
            out.append(ValueAllowlist(self.allow_values))
        return out


@dataclass(frozen=True)
class HostAllowlist:
    """Every host the credential names is allowlisted (one also valid on an unlisted host is
    still reported)."""

    hosts: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    name: str = "allowlist-host"

    def matches(self, f: Finding, path: str) -> bool:
        return bool(f.hosts) and all(self._host_ok(h) for h in f.hosts)

    def _host_ok(self, host: str) -> bool:
        h = host.strip().lower().strip("[]")
        return h in self.hosts or any(p.search(h) for p in self.patterns)


@dataclass(frozen=True)
class ValueAllowlist:
    """The secret matches an allowlisted regex (a known throw-away test password)."""

    patterns: tuple[re.Pattern[str], ...]
    name: str = "allowlist-value"

    def matches(self, f: Finding, path: str) -> bool:
        return bool(f.secret) and any(p.search(f.secret) for p in self.patterns)


def scan_root(path: str) -> Path:
    """The folder a scan of PATH treats as its root (config discovery, relative paths)."""
    if path == "-":
        return Path.cwd()
    p = Path(path)
    return p if p.is_dir() else p.parent


def discover(root: Path) -> Path | None:
    """`pgsweep.toml` at the root, else a pyproject.toml there that has `[tool.pgsweep]`."""
    candidate = root / CONFIG_NAME
    if candidate.is_file():
        return candidate
    pyproject = root / PYPROJECT
    if pyproject.is_file() and "pgsweep" in _read(pyproject).get("tool", {}):
        return pyproject
    return None


def load_for_scan(path: str, explicit: Path | None = None) -> ScanConfig:
    """The config given with --config, or the one found at the scan root, or defaults."""
    if explicit is not None:
        if explicit.is_dir():
            raise ConfigError(f"{explicit}: a folder, not a config file (pgsweep.toml or "
                              "pyproject.toml)")
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such config file")
        return load(explicit)
    found = discover(scan_root(path))
    return load(found) if found else ScanConfig()


def load(path: Path) -> ScanConfig:
    raw: Any = _read(path)
    if path.name == PYPROJECT:
        raw = raw.get("tool", {}).get("pgsweep", {})
        where = f"{path} [tool.pgsweep]"
    else:
        where = str(path)
    return parse(raw, where, path.parent)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text") from None


def parse(raw: Any, where: str, base: Path) -> ScanConfig:
    """Validate a config mapping; unknown keys and bad values are errors naming the key."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table")
    _no_unknown(raw, TOP_KEYS, where)
    allow = raw.get("allowlist", {})
    if not isinstance(allow, Mapping):
        raise ConfigError(f"{where}: allowlist must be a table")
    _no_unknown(allow, ALLOWLIST_KEYS, f"{where} [allowlist]")
    fail_on = None
    if "fail_on" in raw:
        try:
            fail_on = Severity.parse(_str(raw["fail_on"], where, "fail_on"))
        except ValueError as exc:
            raise ConfigError(f"{where}: fail_on: {exc}") from None
    signatures = tuple(base / p for p in _strings(raw, "signatures", where))
    for folder in signatures:
        if not folder.is_dir():
            raise ConfigError(f"{where}: signatures: {folder} is not a directory")
    return ScanConfig(
        path=base,
        excludes=tuple(_strings(raw, "exclude", where)),
        signatures=signatures,
        fail_on=fail_on,
        baselines=tuple(base / p for p in _strings(raw, "baseline", where)),
        allow_hosts=frozenset(h.strip().lower() for h in _strings(allow, "hosts", where)),
        allow_host_patterns=_regexes(allow, "host_patterns", where),
        allow_values=_regexes(allow, "values", where),
    )


def _no_unknown(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})"
        )


def _str(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def _strings(table: Mapping[str, Any], key: str, where: str) -> Sequence[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a string or a list of strings")
    return value


def _regexes(table: Mapping[str, Any], key: str, where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, text in enumerate(_strings(table, key, where)):
        try:
            out.append(re.compile(text))
        except re.error as exc:
            # Not quoted: a `values` pattern may spell out the very password it allowlists.
            raise ConfigError(f"{where}: allowlist.{key}[{i}]: bad regex: {exc.msg}") from None
    return tuple(out)
