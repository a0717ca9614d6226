"""Findings to store rows and back: provenance as tagged JSON, tuples as JSON lists.

Scanned text keeps its undecodable bytes (surrogate escapes) losslessly: JSON columns hold
them as `\\udcff` escapes, and a text column holds a value that is not valid UTF-8 as
a BLOB of its original bytes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, get_args

from pgsweep.core.models import GitProvenance, ProcessProvenance, Provenance
from pgsweep.core.models import place_key as source_key

_PROVENANCE_TYPES: dict[str, type[Any]] = {
    cls.__dataclass_fields__["kind"].default: cls for cls in get_args(Provenance)
}


def provenance_to_json(p: Provenance) -> str:
    return json.dumps(dataclasses.asdict(p), sort_keys=True)


def provenance_from_json(text: str) -> Provenance:
    """Tolerant of fields added or removed since the row was written (defaults fill in)."""
    data = json.loads(text)
    cls = _PROVENANCE_TYPES.get(str(data.get("kind")))
    if cls is None:
        raise ValueError(f"unknown provenance kind {data.get('kind')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    value: Provenance = cls(**{k: v for k, v in data.items() if k in names})
    return value


def _anchor(path: str, cwd: str, scanned: str | None, wanted: str | None) -> str:
    if path.startswith("<"):  # standard input has no place on disk
        return path
    absolute = os.path.normpath(os.path.join(cwd, path))
    if wanted and scanned and wanted != scanned and (
        absolute == scanned or absolute.startswith(scanned.rstrip(os.sep) + os.sep)
    ):
        absolute = wanted + absolute[len(scanned):]
    return absolute


def anchored(
    p: Provenance, cwd: str | None, scanned: str | None = None, wanted: str | None = None
) -> Provenance:
    """`p` with its repository or file path made absolute against the scan's folder `cwd`.

    A place recorded by a scan of target `scanned` and shown for another target `wanted`
    (the same blob in a fork, the same relative file in another folder) moves under
    `wanted`. Without a recorded folder (stores older than targets) `p` is unchanged.
    """
    if cwd is None:
        return p
    if isinstance(p, GitProvenance):
        return dataclasses.replace(p, repo=_anchor(p.repo, cwd, scanned, wanted))
    if isinstance(p, ProcessProvenance):
        return p  # a running process: not a place on disk
    return dataclasses.replace(p, path=_anchor(p.path, cwd, scanned, wanted))


def place_key(p: Provenance, line: int) -> str:
    """Where a secret sits, whichever rule found it: git blob, or file (and entry time)."""
    return f"{source_key(p)}:{line}"


def dump_tuple(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


def load_tuple(text: str | None) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text or "[]"))


def dump_params(params: tuple[tuple[str, str], ...], secret: str) -> str:
    """Connection parameters; a value equal to the secret is never written."""
    kept = [[k, "" if secret and v == secret else v] for k, v in params]
    return json.dumps(kept)


def load_params(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text or "[]"))


def dump_text(text: str | None) -> str | bytes | None:
    """A text column's value: the text, or its original bytes when it holds undecodable
    bytes (SQLite binds text as strict UTF-8)."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape") if _is_escaped(text) else text.encode(
            "utf-8", "surrogatepass")
    return text


def load_text(value: str | bytes | None) -> str | None:
    """The text `dump_text` stored, undecodable bytes back as surrogate escapes."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def _is_escaped(text: str) -> bool:
    """Every lone surrogate in `text` is an undecodable byte (U+DC80..U+DCFF)."""
    return all(not 0xD800 <= ord(ch) <= 0xDFFF or 0xDC80 <= ord(ch) <= 0xDCFF for ch in text)
