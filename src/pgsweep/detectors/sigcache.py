"""Keep the signatures' checked, compiled form in the user cache dir between runs.

Reading and checking the signature files (YAML, every regex compiled and analysed for
backtracking) costs every command ~50 ms before it reads a byte. The result is kept as one
file named by a hash of pgsweep's version and every signature file's name and bytes, so any
change to either makes a new entry. A cache that cannot be read, parsed or written is
ignored: the signatures are then read from their files, as without a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs

from pgsweep import __version__

DISABLE_ENV = "PGSWEEP_NO_CACHE"
FORMAT = 2
KEEP = 8


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("pgsweep", appauthor=False))


def key(kind: str, parts: Sequence[tuple[str, bytes]]) -> str:
    """The entry name for data derived from these named inputs by this pgsweep version."""
    h = hashlib.sha256(f"pgsweep {__version__}\0{kind}\0{FORMAT}\0".encode())
    for name, data in parts:
        h.update(name.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(data).digest())
    return f"{kind}-{h.hexdigest()[:32]}"


def is_enabled() -> bool:
    return not os.environ.get(DISABLE_ENV)


def read_json(entry: str) -> Any:
    """The cached document, or None when there is none, or it is damaged (its first line is
    the SHA-256 of the rest) or unreadable."""
    if not is_enabled():
        return None
    try:
        raw = (cache_dir() / f"{entry}.json").read_bytes()
    except OSError:
        return None
    digest, _, body = raw.partition(b"\n")
    if digest != hashlib.sha256(body).hexdigest().encode():
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("entry") != entry:
        return None
    return doc.get("data")


def write_json(entry: str, data: Any) -> None:
    """Store a document atomically; of the entries of its kind only the KEEP newest stay
    (one per pgsweep install and signature set in use). Failing to write (read-only home,
    full disk, data JSON cannot hold) only costs the next run time."""
    if not is_enabled():
        return
    try:
        body = json.dumps({"entry": entry, "data": data}, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return
    folder = cache_dir()
    kind = entry.rsplit("-", 1)[0]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(tmp, folder / f"{entry}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.glob(f"{kind}-*.json"), key=_mtime, reverse=True)
        for old in entries[KEEP:]:
            if old.name != f"{entry}.json":
                old.unlink(missing_ok=True)
    except OSError:
        return


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
