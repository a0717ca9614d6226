"""Jupyter notebooks: each cell's source and text outputs, mapped to the file's lines."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from typing import Any

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import LineMappedText, decode_text, file_provenance
from pgsweep.readers.text import text_chunk


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for s in value if isinstance(s, str)]
    return []


def _cell_texts(cell: dict[str, Any]) -> tuple[list[str], list[str]]:
    source = _strings(cell.get("source"))
    outputs: list[str] = []
    for o in cell.get("outputs") or []:
        if not isinstance(o, dict):
            continue
        outputs += _strings(o.get("text"))
        data = o.get("data")
        if isinstance(data, dict):
            outputs += _strings(data.get("text/plain"))
        outputs += _strings(o.get("traceback"))
    return source, outputs


class NotebookReader:
    """Jupyter notebooks: each cell's source and text outputs, one chunk per cell.

    Lines map to the notebook file's own lines (nbformat writes one source line per JSON
    line), and the provenance names the cell (`section="cell 3"`, 1-based).
    """

    name = "notebook"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name.endswith(".ipynb")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        raw = decode_text(data)
        try:
            doc = json.loads(raw)
        except ValueError:
            yield text_chunk(info, data, self.name)
            return
        cells = doc.get("cells") if isinstance(doc, dict) else None
        if not isinstance(cells, list):  # nbformat 3 keeps cells under worksheets
            cells = [c for ws in (doc.get("worksheets") or []) if isinstance(ws, dict)
                     for c in ws.get("cells") or []] if isinstance(doc, dict) else []
        line_starts = [0]
        for m in re.finditer("\n", raw):
            line_starts.append(m.end())
        cell_start = 0
        for index, cell in enumerate(cells, start=1):
            if not isinstance(cell, dict):
                continue
            source, outputs = _cell_texts(cell)
            text = LineMappedText()
            furthest = cell_start
            for items in (source, outputs):
                cursor = cell_start
                last_line = _line_at(line_starts, cell_start)
                for s in items:
                    pos = _find_json_string(raw, s, cursor)
                    if pos >= 0:
                        cursor = pos + 1
                        furthest = max(furthest, pos)
                        last_line = _line_at(line_starts, pos)
                    text.add(s[:-1] if s.endswith("\n") else s, last_line)
            cell_start = furthest
            if text:
                yield text.chunk(file_provenance(info, self.name, section=f"cell {index}"))


def _find_json_string(raw: str, s: str, start: int) -> int:
    for ascii_only in (False, True):
        pos = raw.find(json.dumps(s, ensure_ascii=ascii_only), start)
        if pos >= 0:
            return pos
    return -1


def _line_at(line_starts: list[int], pos: int) -> int:
    return bisect.bisect_right(line_starts, pos)
