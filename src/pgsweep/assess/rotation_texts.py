"""Load and check the per-provider and per-channel texts of rotation plans
(`rotation_texts.toml`, shipped with the package)."""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pgsweep.assess.risk_factors import Channel
from pgsweep.core.errors import PgsweepError

TEXTS_FILE = "rotation_texts.toml"


class RotationTextsError(PgsweepError):
    """The rotation texts are malformed (a missing key or an unknown placeholder)."""


@dataclass(frozen=True)
class Tiers:
    """The three prevention tiers: a secrets manager, short-lived credentials, certificates."""

    tier1: str
    tier2: str
    tier3: str


@dataclass(frozen=True)
class ProviderTexts:
    """What to say for one managed provider. `name` matches the host's provider exactly, or
    as a prefix when `prefix`."""

    name: str
    prefix: bool
    rotate_detail: str
    rotate_commands: tuple[str, ...]
    prevent: Tiers | None

    def matches(self, provider: str) -> bool:
        return provider.startswith(self.name) if self.prefix else provider == self.name


@dataclass(frozen=True)
class CleanText:
    """The clean-up step for a leak through one channel."""

    channel: Channel
    title: str
    detail: str
    commands: tuple[str, ...]


@dataclass(frozen=True)
class RotationTexts:
    """Every text of the file, checked."""

    providers: tuple[ProviderTexts, ...]
    rotate_default: str
    prevent_local: Tiers
    prevent_default: Tiers
    secret_store: str
    provider_secret_store: str
    clean: tuple[CleanText, ...]

    def provider(self, name: str) -> ProviderTexts | None:
        """The first provider entry that matches `name`."""
        return next((p for p in self.providers if p.matches(name)), None)


def _text(table: Mapping[str, Any], key: str, where: str, allowed: frozenset[str]) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise RotationTextsError(f"rotation texts: {where}.{key} must be a non-empty string")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as e:
        raise RotationTextsError(f"rotation texts: {where}.{key}: {e}") from None
    unknown = sorted(names - allowed)
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        raise RotationTextsError(f"rotation texts: {where}.{key} has unknown placeholder {shown}")
    return value


def _texts(table: Mapping[str, Any], key: str, where: str,
           allowed: frozenset[str]) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise RotationTextsError(f"rotation texts: {where}.{key} must be a list of strings")
    return tuple(_text({key: v}, key, where, allowed) for v in values)


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RotationTextsError(f"rotation texts: {where}{key} must be a table")
    return value


def _tables(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise RotationTextsError(f"rotation texts: [[{key}]] must be a list of tables")
    return value


def _tiers(table: Mapping[str, Any], where: str, allowed: frozenset[str] = frozenset()) -> Tiers:
    return Tiers(*(_text(table, f"tier{n}", where, allowed) for n in (1, 2, 3)))


def _provider(n: int, table: Mapping[str, Any]) -> ProviderTexts:
    where = f"provider[{n}]"
    name = _text(table, "name", where, frozenset())
    rotate = _table(table, "rotate", f"{where}.")
    prevent = table.get("prevent")
    return ProviderTexts(
        name=name,
        prefix=table.get("prefix", False) is True,
        rotate_detail=_text(rotate, "detail", f"{where}.rotate", frozenset()),
        rotate_commands=_texts(rotate, "commands", f"{where}.rotate", frozenset({"user"})),
        prevent=None if prevent is None else _tiers(
            _table(table, "prevent", f"{where}."), f"{where}.prevent"),
    )


def _clean(n: int, table: Mapping[str, Any]) -> CleanText:
    where = f"clean[{n}]"
    channel = table.get("channel")
    if channel not in set(Channel):
        raise RotationTextsError(f"rotation texts: {where}.channel {channel!r} is not a channel")
    return CleanText(
        channel=Channel(channel),
        title=_text(table, "title", where, frozenset()),
        detail=_text(table, "detail", where, frozenset({"places"})),
        commands=_texts(table, "commands", where, frozenset({"path"})),
    )


def parse_texts(data: Mapping[str, Any]) -> RotationTexts:
    """Check the parsed file: every key present, every placeholder one its text is given,
    and exactly one clean-up step per channel."""
    default = _table(data, "prevent_default", "")
    clean = tuple(_clean(n, t) for n, t in enumerate(_tables(data, "clean")))
    missing = sorted(set(Channel) - {c.channel for c in clean})
    if missing or len(clean) != len(Channel):
        raise RotationTextsError("rotation texts: [[clean]] needs exactly one step per channel"
                                 + (f" (missing: {', '.join(missing)})" if missing else ""))
    return RotationTexts(
        providers=tuple(_provider(n, t) for n, t in enumerate(_tables(data, "provider"))),
        rotate_default=_text(_table(data, "rotate_default", ""), "detail", "rotate_default",
                             frozenset({"provider"})),
        prevent_local=_tiers(_table(data, "prevent_local", ""), "prevent_local"),
        prevent_default=_tiers(default, "prevent_default", frozenset({"secret_store"})),
        secret_store=_text(default, "secret_store", "prevent_default", frozenset()),
        provider_secret_store=_text(default, "provider_secret_store", "prevent_default",
                                    frozenset({"provider"})),
        clean=clean,
    )


@functools.cache
def rotation_texts() -> RotationTexts:
    """The shipped texts, read and checked once per process."""
    raw = resources.files("pgsweep.assess").joinpath(TEXTS_FILE).read_text(encoding="utf-8")
    try:
        return parse_texts(tomllib.loads(raw))
    except tomllib.TOMLDecodeError as e:
        raise RotationTextsError(f"rotation texts: {TEXTS_FILE}: {e}") from None
