"""Derived chunks: decode encoded values (base64 Secret data, JSON escapes, HTML entities)."""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterator, Sequence

from pgsweep.core.models import Chunk, GitProvenance, Records

# Cheap gates: a decoder runs only when a bytes.find / one regex pass says it may matter.
_INTEREST = (b"postgres", b"passw", b"pgpass", b"jdbc:", b"conninfo", b"pwd=", b"psw=", b"host=")
# Blanks, not \s: a \s* at a line start runs over every following empty line, once per line.
_SECRET_KIND_RE = re.compile(
    r"""(?m)^[ \t]*+["']?kind["']?[ \t]*+:[ \t]*+["']?Secret["']?[ \t]*+,?[ \t\r]*+$"""
)
_JSON_SECRET_RE = re.compile(r'"kind"\s*:\s*"Secret"')
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_JSON_ESCAPE_RE = re.compile(r"""\\(?:u[0-9a-fA-F]{4}|["\\/nrtbf])""")
_ENTITY_RE = re.compile(r"&(?:amp|quot|apos|lt|gt|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
_JSON_SIMPLE = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "n": "\n",
    "r": "\n",
    "t": "\t",
    "b": "\b",
    "f": "\f",
}


def iter_decoded(
    chunk: Chunk, windows: Sequence[tuple[int, int]] | None = None
) -> Iterator[Chunk]:
    """Yield chunks holding decoded forms of values in `chunk` (none for plain text).

    - Kubernetes Secret manifests (YAML or JSON): `data:` values are base64-decoded and the
      block is rewritten as `stringData:` (plaintext), each decoded line mapped to the line
      of its original value.
    - JSON-escaped strings (`\\"`, `\\n`, `\\u0026`, `\\/`): unescaped, and a Secret found in the
      unescaped text (a last-applied-configuration annotation) is decoded as well.
    - HTML/XML entities (`&amp;`, `&quot;`, `&#39;`): unescaped.

    `windows` (byte ranges of whole lines, from the detector's keyword hits) limits the
    JSON and HTML decoders to those lines, so their cost follows the hits, not the blob
    size; None decodes the whole chunk. Derived chunks carry decoded=True and are not
    decoded again.
    """
    data = chunk.data
    if chunk.decoded:
        return
    text: str | None = None
    if _may_be_secret(chunk):
        text = data.decode("utf-8", "surrogateescape")
        secret = _decode_secret(chunk, text)
        if secret is not None:
            yield secret
    if windows is None:
        regions = [(0, len(data))]
    else:
        regions = [w for w in windows if _has_escapes(data, w[0], w[1])]
        if not regions:
            return
    region_bytes = b"".join(data[s:e] for s, e in regions) if windows is not None else data
    if not any(k in region_bytes.lower() for k in _INTEREST):
        return
    only = None if windows is None else _line_set(data, regions)
    if any(m in region_bytes for m in _JSON_MARKERS):
        text = text if text is not None else data.decode("utf-8", "surrogateescape")
        unescaped = _derive(chunk, text, _json_unescape_line, _JSON_ESCAPE_RE, only)
        if unescaped is not None:
            yield unescaped
            inner = unescaped.data.decode("utf-8", "surrogateescape")
            nested = _decode_secret(unescaped, inner)
            if nested is not None:
                yield nested
    if any(m in region_bytes for m in _HTML_MARKERS):
        text = text if text is not None else data.decode("utf-8", "surrogateescape")
        entities = _derive(chunk, text, html.unescape, _ENTITY_RE, only)
        if entities is not None:
            yield entities


_JSON_MARKERS = (b'\\"', b"\\u00", b"\\/", b"\\n", b"\\\\")
_HTML_MARKERS = (b"&amp;", b"&quot;", b"&#", b"&apos;")
_SECRET_SUFFIXES = (".yaml", ".yml", ".json", ".tpl", ".j2", ".txt", ".log")


def decoding_wins(written: str, decoded: str) -> bool:
    """Which of two readings of one credential holds its secret: True for the one read
    from the text with its JSON-style escapes undone, False for the one read as written.

    The decoded one when undoing the escapes of the written secret gives it: the written
    one kept `\\\\` or `\\u00fc` as two or six characters. The written one otherwise: its
    form's parser undid the escapes of its own quoting already (a code string, a conninfo
    value), so the decoded text has them undone twice.
    """
    return _json_unescape_line(written) == decoded


def _may_be_secret(chunk: Chunk) -> bool:
    """A Kubernetes Secret could be here: a manifest-like git path, or any other input."""
    p = chunk.provenance
    if isinstance(p, GitProvenance) and p.path and not p.path.lower().endswith(_SECRET_SUFFIXES):
        return False
    data = chunk.data
    return b"Secret" in data and b"data" in data


def _has_escapes(data: bytes, start: int, end: int) -> bool:
    return data.find(b"\\", start, end) >= 0 or data.find(b"&", start, end) >= 0


def _line_set(data: bytes, regions: Sequence[tuple[int, int]]) -> set[int]:
    """0-based indexes of the lines the byte ranges cover."""
    lines: set[int] = set()
    for start, end in regions:
        first = data.count(b"\n", 0, start)
        last = first + data.count(b"\n", start, end)
        lines.update(range(first, last + 1))
    return lines


def _orig(chunk: Chunk, line0: int) -> int:
    """Original 1-based line of 0-based line `line0` of the chunk."""
    return chunk.original_line(line0 + 1)


def _derive(
    chunk: Chunk,
    text: str,
    transform: Callable[[str], str],
    gate: re.Pattern[str],
    only: set[int] | None = None,
) -> Chunk | None:
    """Apply `transform` to each line that `gate` finds something in; map produced lines.

    With `only`, the derived chunk holds just those lines (a blank line between runs, so
    separate windows never read as one text).
    """
    out: list[str] = []
    line_map: list[int] = []
    src: list[int] = []  # the 0-based line of `chunk` each produced line comes from
    changed = False
    previous = -2
    for i, line in enumerate(text.split("\n")):
        if only is not None:
            if i not in only:
                continue
            if previous >= 0 and i != previous + 1:
                out.append("")
                line_map.append(_orig(chunk, previous))
                src.append(previous)
            previous = i
        new = transform(line) if gate.search(line) else line
        if new != line:
            changed = True
        parts = new.split("\n")
        out.extend(parts)
        line_map.extend([_orig(chunk, i)] * len(parts))
        src.extend([i] * len(parts))
    if not changed:
        return None
    return _derived_chunk(chunk, out, line_map, src)


def _json_unescape_line(line: str) -> str:
    """Undo JSON string escapes left to right (`\\\\n` stays a backslash and an n)."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            nxt = line[i + 1]
            if nxt == "u" and i + 6 <= n and re.fullmatch(r"[0-9a-fA-F]{4}", line[i + 2 : i + 6]):
                code = int(line[i + 2 : i + 6], 16)
                out.append(chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd")
                i += 6
                continue
            if nxt in _JSON_SIMPLE:
                if nxt == "r" and line[i + 2 : i + 4] == "\\n":
                    i += 2  # \r\n is one line break
                    continue
                out.append(_JSON_SIMPLE[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _b64_text(value: str) -> str | None:
    """Standard padded base64 of printable UTF-8 text, or None."""
    value = value.strip().strip("\"'")
    if len(value) < 4 or len(value) % 4 or not _B64_RE.fullmatch(value):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text or any(not c.isprintable() and c not in "\n\r\t" for c in text):
        return None
    return text.rstrip("\n")


_YAML_DATA_RE = re.compile(
    r"^(?P<ind>[ \t]*)(?P<key>data|binaryData)[ \t]*:[ \t]*+(?P<flow>\{.*\})?[ \t]*$"
)
_YAML_ENTRY_RE = re.compile(
    r"""^(?P<ind>[ \t]+)(?P<key>["']?[\w.-]+["']?)[ \t]*:[ \t]*"""
    r"""(?P<val>["']?[A-Za-z0-9+/=]+["']?)[ \t]*$"""
)
_JSON_DATA_RE = re.compile(r'"data"\s*:\s*\{(?P<body>[^{}]*)\}?')
_JSON_ENTRY_RE = re.compile(r'"(?P<key>[\w.-]+)"\s*:\s*"(?P<val>[A-Za-z0-9+/=]+)"')


def _decode_secret(chunk: Chunk, text: str) -> Chunk | None:
    """The manifest with every decodable `data:` value replaced by its plaintext, under
    `stringData:`; None when the text is not a Secret or nothing decodes."""
    if not (_SECRET_KIND_RE.search(text) or _JSON_SECRET_RE.search(text)):
        return None
    rewrite = _SecretRewrite(chunk, text.split("\n"))
    rewrite.run()
    if not rewrite.changed:
        return None
    return _derived_chunk(chunk, rewrite.out, rewrite.line_map, rewrite.sources)


def _derived_chunk(chunk: Chunk, out: list[str], line_map: list[int], src: list[int]) -> Chunk:
    """The decoded lines as a chunk; in a chunk of records, each produced line stays in
    the record of the line it comes from."""
    records = None
    parent = chunk.records
    if parent is not None:
        starts: list[int] = []
        lines: list[int] = []
        indexes: list[int] = []  # the parent record of each derived one
        offset = 0
        for k, line in enumerate(out):
            index = chunk.record_index(src[k] + 1)
            if not indexes or index != indexes[-1]:
                starts.append(offset)
                lines.append(k + 1)
                indexes.append(index)
            offset += len(line.encode("utf-8", "surrogateescape")) + 1
        records = Records(tuple(starts), tuple(lines),
                          lambda i: parent.provenance_of(indexes[i]))
    return Chunk(
        data="\n".join(out).encode("utf-8", "surrogateescape"),
        provenance=chunk.provenance,
        line_map=tuple(line_map),
        decoded=True,
        records=records,
    )


class _SecretRewrite:
    """One pass over a Secret manifest's lines: each `data:` block (YAML block or flow,
    JSON inline or pretty-printed) rewritten as `stringData:` with its values decoded,
    every other line kept; each output line maps back to its source line."""

    def __init__(self, chunk: Chunk, lines: list[str]) -> None:
        self.chunk = chunk
        self.lines = lines
        self.out: list[str] = []
        self.line_map: list[int] = []
        self.sources: list[int] = []  # the source line of each output line
        self.changed = False

    def emit(self, line: str, src: int) -> None:
        self.out.append(line)
        self.line_map.append(_orig(self.chunk, src))
        self.sources.append(src)

    def value(self, ind: str, key: str, plain: str, src: int) -> None:
        self.changed = True
        _emit_value(self.emit, ind, key, plain, src)

    def run(self) -> None:
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            m = _YAML_DATA_RE.match(line)
            j = None if m and m.group("key") == "data" else _JSON_DATA_RE.search(line)
            if m and m.group("key") == "data":
                i = self._yaml(i, m)
            elif j is not None and (nxt := self._json(i, j)) is not None:
                i = nxt
            else:
                self.emit(line, i)
                i += 1

    def _yaml(self, i: int, m: re.Match[str]) -> int:
        """A YAML `data:` block at line i; the line after it."""
        ind = m.group("ind")
        self.emit(f"{ind}stringData:", i)
        if m.group("flow"):
            for entry in m.group("flow").strip("{}").split(","):
                k, sep, v = entry.partition(":")
                plain = _b64_text(v) if sep else None
                if plain is not None:
                    self.value(f"{ind}  ", k.strip(), plain, i)
            return i + 1
        i += 1
        lines = self.lines
        while i < len(lines):
            e = _YAML_ENTRY_RE.match(lines[i])
            if lines[i].strip() and (e is None or len(e.group("ind")) <= len(ind)):
                break
            plain = _b64_text(e.group("val")) if e is not None and lines[i].strip() else None
            if e is None or plain is None:
                self.emit(lines[i], i)
            else:
                self.value(e.group("ind"), e.group("key"), plain, i)
            i += 1
        return i

    def _json(self, i: int, j: re.Match[str]) -> int | None:
        """A JSON `"data": {…}` at line i; the line after it, or None when it is not one
        to rewrite (the line is then kept as it is)."""
        line = self.lines[i]
        body = j.group("body")
        decoded = [(e.group("key"), plain) for e in _JSON_ENTRY_RE.finditer(body)
                   if (plain := _b64_text(e.group("val"))) is not None]
        if decoded:
            if line[: j.start()].strip():
                self.emit(line[: j.start()], i)
            self.emit('"stringData": {', i)
            for k, v in decoded:
                self.value("  ", k, v, i)
            self.emit("}", i)
            return i + 1
        if body.strip() or not line.rstrip().endswith("{"):
            return None
        # pretty-printed JSON: entries on the following lines
        self.emit(line[: j.start()] + '"stringData": {', i)
        i += 1
        lines = self.lines
        while i < len(lines) and "}" not in lines[i]:
            e = _JSON_ENTRY_RE.search(lines[i])
            plain = _b64_text(e.group("val")) if e else None
            if e and plain is not None:
                ind = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                self.value(ind, e.group("key"), plain, i)
            else:
                self.emit(lines[i], i)
            i += 1
        return i


def _emit_value(emit: Callable[[str, int], None], ind: str, key: str, value: str, src: int) -> None:
    key = key.strip().strip("\"'")
    if "\n" not in value:
        emit(f"{ind}{key}: {value}", src)
        return
    emit(f"{ind}{key}: |", src)
    for vline in value.split("\n"):
        emit(f"{ind}  {vline.rstrip(chr(13))}", src)
