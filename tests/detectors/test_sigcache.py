"""The checked signatures are cached in the user cache dir: read back unchanged, keyed by
every signature file's bytes, and a damaged or unusable cache is ignored and rebuilt."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pgsweep.detectors import sigcache, signatures

CUSTOM = """\
id: pg.custom.1
name: Custom password line
description: A test form.
keywords: [custompw]
pattern: 'custompw=(?P<password>[A-Za-z0-9]{8,})'
fields: {password: password}
severity: high
examples:
  - text: "custompw=Xk3jfPq2Lm9"
    expect: {password: Xk3jfPq2Lm9}
negative_examples: ["custompw="]
"""


def _entries() -> list[Path]:
    return sorted(sigcache.cache_dir().glob("signatures-*.json"))


def _uncached(dirs: list[Path] | None = None) -> list[signatures.Signature]:
    os.environ[sigcache.DISABLE_ENV] = "1"
    try:
        return signatures.load(dirs)
    finally:
        del os.environ[sigcache.DISABLE_ENV]


def test_the_second_load_reads_the_cache_and_gets_the_same_signatures() -> None:
    assert _entries() == []
    first = signatures.load()
    (entry,) = _entries()
    again = signatures.load()
    assert again == first == _uncached()
    assert [s.regex.pattern for s in again] == [s.pattern for s in first]
    assert [s.paths for s in again] == [s.paths for s in first]
    assert _entries() == [entry]


def test_the_cache_is_what_a_load_reads() -> None:
    """The loaded set comes from the cache file: a change planted there shows."""
    signatures.load()
    (entry,) = _entries()
    _, _, body = entry.read_bytes().partition(b"\n")
    planted = body.replace(b'"pg.uri.1"', b'"pg.uri.99"', 1)
    entry.write_bytes(hashlib.sha256(planted).hexdigest().encode() + b"\n" + planted)
    assert "pg.uri.99" in {s.id for s in signatures.load()}


def test_a_changed_signature_file_makes_a_new_entry(tmp_path: Path) -> None:
    folder = tmp_path / "sigs"
    folder.mkdir()
    (folder / "custom.yml").write_text(CUSTOM)
    sigs = signatures.load([folder])
    assert sigs[-1].id == "pg.custom.1" and sigs[-1].severity.name == "HIGH"
    (entry,) = _entries()
    (folder / "custom.yml").write_text(CUSTOM.replace("severity: high", "severity: low"))
    changed = signatures.load([folder])
    assert changed[-1].severity.name == "LOW"
    assert changed == _uncached([folder])
    assert len(_entries()) == 2 and entry in _entries()


def test_only_the_newest_entries_stay(tmp_path: Path) -> None:
    """Each signature set in use keeps its entry (two installs do not evict each other),
    up to KEEP of them."""
    folder = tmp_path / "sigs"
    folder.mkdir()
    for n in range(sigcache.KEEP + 3):
        (folder / "custom.yml").write_text(CUSTOM.replace("Custom password line", f"Form {n}"))
        signatures.load([folder])
        newest = max(_entries(), key=lambda p: p.stat().st_mtime_ns)
        os.utime(newest, ns=(n * 10**9, n * 10**9))  # an order the file system cannot blur
    assert len(_entries()) == sigcache.KEEP
    assert signatures.load([folder])[-1].name == f"Form {sigcache.KEEP + 2}"


@pytest.mark.parametrize("damage", [
    lambda raw: raw[: len(raw) // 2],                       # truncated
    lambda raw: raw.replace(b'"pg.uri.1"', b'"pg.uri.7"', 1),  # one byte changed
    lambda raw: b"not a cache at all",
    lambda raw: b"",
])
def test_a_damaged_entry_is_ignored_and_rebuilt(damage: Callable[[bytes], bytes]) -> None:
    fresh = signatures.load()
    (entry,) = _entries()
    entry.write_bytes(damage(entry.read_bytes()))
    assert signatures.load() == fresh
    assert sigcache.read_json(entry.stem) is not None  # rewritten whole


def test_an_entry_with_the_wrong_shape_is_ignored() -> None:
    """A checksum that fits but records that do not build signatures: read the files."""
    fresh = signatures.load()
    (entry,) = _entries()
    body = json.dumps({"entry": entry.stem, "data": [{"id": "pg.uri.1"}]}).encode()
    entry.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert signatures.load() == fresh


def test_an_unwritable_cache_dir_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert signatures.load() == _uncached()


def test_no_cache_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sigcache.DISABLE_ENV, "1")
    signatures.load()
    assert _entries() == []


def test_a_bad_signature_file_is_an_error_every_time(tmp_path: Path) -> None:
    """Errors are not cached: a broken extra file fails each load with its message."""
    folder = tmp_path / "sigs"
    folder.mkdir()
    (folder / "bad.yml").write_text(CUSTOM.replace("severity: high", "severity: loud"))
    for _ in range(2):
        with pytest.raises(signatures.SignatureError, match=r"bad\.yml"):
            signatures.load([folder])
