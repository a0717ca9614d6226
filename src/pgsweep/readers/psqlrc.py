"""psql start-up files (`.psqlrc`): `\\setenv PGPASSWORD` joined with the other `\\setenv`s."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.envgroups import Assignment, synthesize
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import LineMappedText, decode_text, file_provenance, split_lines


def replace_lines(text: LineMappedText, uris: dict[int, str]) -> LineMappedText:
    """The text with each line that carries a joined password replaced by the joined line.

    Replacing (not adding) keeps a detector that reads the raw `PGPASSWORD=` line from
    reporting the same secret a second time without its context.
    """
    out = LineMappedText()
    done: set[int] = set()
    for line, origin in zip(text.lines, text.origin, strict=True):
        if origin in uris:
            if origin not in done:
                out.add(uris[origin], origin)
                done.add(origin)
            continue
        out.add(line, origin)
    return out


class PsqlrcReader:
    """`.psqlrc`: `\\setenv PGPASSWORD …` groups joined into URIs, other lines as they are."""

    name = "psqlrc"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name in (".psqlrc", "psqlrc") or info.name.startswith(".psqlrc-")

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        text = LineMappedText()
        assignments = []
        for n, line in enumerate(split_lines(decode_text(data)), start=1):
            text.add(line, n)
            m = re.match(r"^\s*\\setenv\s+(\w+)\s+(.*?)\s*$", line)
            if m:
                value = m.group(2)
                if len(value) >= 2 and value[0] == value[-1] == "'":
                    value = value[1:-1].replace("''", "'")
                assignments.append(Assignment(m.group(1), value, n))
        uris = synthesize(assignments)
        yield replace_lines(text, uris).keep_ignore_markers(text.lines).chunk(
            file_provenance(info, self.name)
        )
