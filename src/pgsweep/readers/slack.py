"""Slack exports (zip or folder): each message's text, blocks, attachments and files, with
channel, sender, time and thread.

A day file becomes one chunk, scanned in one pass: each message part is a record of it
(`Chunk.records`) with its own provenance, and every line maps to the line of the day file
where its message starts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pgsweep.core.models import ChatProvenance, Chunk, Provenance, Records, Skipped
from pgsweep.detectors.json_gate import JsonGate
from pgsweep.readers.chunking import decode_text
from pgsweep.readers.interface import FileInfo, Nested, ReadItem, Tree, read_limited

_DAY_RE = re.compile(r"[^/]+/\d{4}-\d\d-\d\d\.json")
# Slack's markup: <https://x|label>, <@U123>, <#C123|general>, <!here>; `<` and `>` in
# typed text are escaped, so every `<…>` is markup.
_MARKUP_RE = re.compile(r"<([^<>\n]{1,4000})>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
# The C scanner of one JSON value at an offset (what `JSONDecoder.raw_decode` calls, without
# its Python frame: a day file holds thousands of messages), and the gap between values.
_DECODER = json.JSONDecoder()
_GAP_RE = re.compile(r"[ \t\r\n,]*")
_LIST_FILES = ("users.json", "channels.json", "groups.json", "dms.json", "mpims.json")


def export_root(names: frozenset[str]) -> str | None:
    """The folder prefix ("" or "Name/") that holds `users.json` and `channels.json`."""
    for name in names:
        if name == "channels.json" or name.endswith("/channels.json"):
            prefix = name[: -len("channels.json")]
            if prefix.count("/") <= 1 and f"{prefix}users.json" in names:
                return prefix
    return None


def iso(ts: object) -> str | None:
    """Slack's `ts` ("1704200000.000100", seconds since the epoch) as ISO 8601 UTC."""
    try:
        return datetime.fromtimestamp(int(float(str(ts))), tz=UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return None


def unescape(text: str, users: Mapping[str, str]) -> str:
    """Slack's message markup and HTML entities undone: `<url|label>` → `url label`."""
    def link(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^", 1)[0])
        if label and label != target:
            return f"{target} {label}"
        return target

    text = _MARKUP_RE.sub(link, text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _block_text(node: Any, users: Mapping[str, str], out: list[str]) -> None:
    """The text of a `blocks` tree (rich_text sections, lists, quotes, code, links)."""
    if isinstance(node, list):
        for item in node:
            _block_text(item, users, out)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "text" and isinstance(node.get("text"), str):
        out.append(node["text"])
    elif kind == "link" and isinstance(node.get("url"), str):
        label = node.get("text")
        out.append(node["url"] + (f" {label}" if isinstance(label, str) and label
                                  and label != node["url"] else ""))
    elif kind == "user" and isinstance(node.get("user_id"), str):
        out.append("@" + users.get(node["user_id"], node["user_id"]))
    elif isinstance(node.get("text"), dict):  # section blocks: {"text": {"type": "mrkdwn", …}}
        inner = node["text"].get("text")
        if isinstance(inner, str):
            out.append(unescape(inner, users) + "\n")
    for key in ("elements", "fields", "blocks"):
        if key in node:
            _block_text(node[key], users, out)
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        out.append("\n")


def _attachment_text(att: Mapping[str, Any], users: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for key in ("pretext", "title", "title_link", "text", "fallback", "footer", "from_url"):
        if isinstance(att.get(key), str) and att[key]:
            lines.append(unescape(att[key], users))
    for fld in att.get("fields") or ():
        if isinstance(fld, dict):
            lines += [unescape(fld[k], users) for k in ("title", "value")
                      if isinstance(fld.get(k), str) and fld[k]]
    if "blocks" in att:
        out: list[str] = []
        _block_text(att["blocks"], users, out)
        lines.append("".join(out))
    return lines


def _file_text(f: Mapping[str, Any]) -> list[str]:
    return [f[key] for key in ("title", "name", "preview", "plain_text", "url_private")
            if isinstance(f.get(key), str) and f[key]]


class SlackExport:
    """The channel day files of a Slack export; every other file is read like any file."""

    name = "slack"

    def claims(self, names: frozenset[str]) -> bool:
        return export_root(names) is not None

    def iter_tree(self, tree: Tree, info: FileInfo, max_size: int,
                  json_gate: JsonGate | None = None) -> Iterator[ReadItem]:
        names = frozenset(e.name for e in tree.entries())
        root = export_root(names) or ""
        listed = _read_quietly(tree, f"{root}users.json", max_size)
        users = _users(listed)
        # a name a mention brings into a message could hold a keyword: then decode it all
        gate = json_gate if json_gate is not None and not json_gate.may_hold(listed) else None
        for entry in tree.entries():
            member = f"{info.member}!{entry.name}" if info.member else entry.name
            where = f"{info.path}!{member}"
            rel = entry.name[len(root):] if entry.name.startswith(root) else None
            if entry.size > max_size:
                yield Skipped(where, "too large")
                continue
            try:
                data = read_limited(tree, entry.name, max_size, entry.size)
            except Exception as exc:  # noqa: BLE001 - any member error is a counted skip
                yield Skipped(where, f"archive: unreadable member ({type(exc).__name__})",
                              incomplete=True)
                continue
            if data is None:
                yield Skipped(where, "too large")
                continue
            minfo = replace(info, name=entry.name.rsplit("/", 1)[-1], member=member,
                            mode=entry.mode or info.mode, mtime=entry.mtime or info.mtime)
            if rel is None or not _DAY_RE.fullmatch(rel):
                yield Nested(minfo, data, _as_file)
                continue
            day = ChatProvenance(
                path=minfo.path, platform="slack", member=minfo.member,
                channel=rel.split("/", 1)[0], user=minfo.user, owner=minfo.owner,
                mode=minfo.mode, mtime=minfo.mtime)
            messages: list[tuple[int, dict[str, Any]]] | None = None
            hits = gate.hits(data) if gate is not None else None
            if hits == []:  # no string of the day file can hold a keyword
                yield Chunk(data=data, provenance=day, decoded=True)
                continue
            if hits:
                messages = _messages_at(data, hits)
            if messages is None:
                messages = self._messages(data)
            if messages is None:  # not a day file after all: read it as a file
                yield Nested(minfo, data, _as_file)
                continue
            chunk = self._day_chunk(messages, day, users)
            if chunk is not None:
                yield chunk

    def _day_chunk(self, messages: list[tuple[int, dict[str, Any]]], day: ChatProvenance,
                   users: Mapping[str, str]) -> Chunk | None:
        """One chunk of every message part of a day file, each part a record whose
        provenance is made only if a finding needs it."""
        bodies: list[str] = []
        line_map: list[int] = []
        starts: list[int] = []
        lines: list[int] = []
        owners: list[dict[str, Any]] = []  # the message of each record
        parts: list[str] = []  # and which part of it
        offset = 0
        for line, msg in messages:
            raw = msg.get("text")
            if _RICH_KEYS.isdisjoint(msg) and raw.__class__ is str:
                # most messages: a text and nothing else, handled inline
                text = unescape(raw, users) if "<" in raw or "&" in raw else raw
                found: Iterable[tuple[dict[str, Any], str, str]] = (
                    ((msg, "text", text),) if text and not text.isspace() else ())
            else:
                found = _message_parts(msg, users)
            for owner, part, body in found:
                starts.append(offset)
                lines.append(len(line_map) + 1)
                owners.append(owner)
                parts.append(part)
                n = body.count("\n")
                if n:
                    line_map += [line] * (n + 1)
                else:
                    line_map.append(line)
                bodies.append(body)
                offset += len(body) + 1 if body.isascii() else \
                    len(body.encode("utf-8", "surrogateescape")) + 1
        if not starts:
            return None

        def provenance_of(i: int) -> Provenance:
            return _message_provenance(owners[i], parts[i], day, users)

        return Chunk(data="\n".join(bodies).encode("utf-8", "surrogateescape"), provenance=day,
                     line_map=tuple(line_map),
                     records=Records(tuple(starts), tuple(lines), provenance_of))

    @staticmethod
    def _messages(data: bytes) -> list[tuple[int, dict[str, Any]]] | None:
        """(line where it starts, message) for each object of the day file's array."""
        text = decode_text(data)
        scan = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__
        pos = len(text) - len(text.lstrip())
        if not text.startswith("[", pos):
            return None
        pos += 1
        out: list[tuple[int, dict[str, Any]]] = []
        line, counted = 1, 0
        gap = _GAP_RE.match
        size = len(text)
        while True:
            pos = gap(text, pos).end()  # type: ignore[union-attr]  # matches empty text too
            if pos >= size:
                return None  # truncated: the whole file is read as text instead
            if text[pos] == "]":
                return out
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                obj, pos = scan(text, pos)
            except (StopIteration, ValueError):
                return None
            if not isinstance(obj, dict):
                return None
            out.append((line, obj))


def _read_quietly(tree: Tree, name: str, max_size: int) -> bytes:
    """A file of the export, or nothing when it is missing, unreadable or too large."""
    try:
        return read_limited(tree, name, max_size) or b""
    except Exception:  # noqa: BLE001 - an unreadable user list only costs the names
        return b""


def _users(data: bytes) -> dict[str, str]:
    """User id -> name, from `users.json`."""
    try:
        listed = json.loads(data) if data else []
    except ValueError:
        return {}
    users: dict[str, str] = {}
    for u in listed if isinstance(listed, list) else ():
        if isinstance(u, dict) and isinstance(u.get("id"), str):
            profile = _dict(u.get("profile"))
            found = (u.get("name") or profile.get("display_name")
                     or u.get("real_name") or profile.get("real_name"))
            if isinstance(found, str) and found:
                users[u["id"]] = found
    return users


# In Slack's own layout, each message of a day file starts on a line of its own.
_TOP = b"\n    {\n"
_TOP_END = b"\n    }"


def _messages_at(data: bytes, hits: Sequence[int]) -> list[tuple[int, dict[str, Any]]] | None:
    """(line where it starts, message) for each message that holds a keyword hit.

    In Slack's own layout (an array of objects, each starting on a line `    {`), the
    message around a hit is found from its position; each is checked against the day
    file decoded whole, so a file laid out otherwise is never misread: None then, and the
    caller reads every message.
    """
    if not data.startswith(b"[" + _TOP):
        return None
    try:
        every = json.loads(data)
    except ValueError:
        return None
    if not isinstance(every, list):
        return None
    out: list[tuple[int, dict[str, Any]]] = []
    index = lines = 0  # of the message last taken, and the lines before it
    last = 0  # where that message's line starts (the first one is at 1)
    for pos in hits:
        at = data.rfind(_TOP, 0, pos)
        if at < 0:
            return None
        if out and at == last:
            continue  # the same message as the hit before
        index += data.count(_TOP, last, at)
        lines += data.count(b"\n", last, at)
        last = at
        end = data.find(_TOP_END, pos)
        if end < 0 or index >= len(every):
            return None
        try:
            alone = json.loads(data[at + 1:end + len(_TOP_END)])
        except ValueError:
            return None
        if not isinstance(alone, dict) or alone != every[index]:
            return None
        out.append((lines + 2, alone))
    return out


# A message holding any of these needs more than its `text`.
_RICH_KEYS = frozenset({"blocks", "attachments", "files", "message", "previous_message", "root"})


def _message_parts(msg: dict[str, Any], users: Mapping[str, str],
                   ) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(message, part, text) of each part of a message (text, blocks, attachments, files)
    that holds text, then of the messages it carries (an edit's, a thread broadcast's)."""
    raw = msg.get("text")
    text = raw if isinstance(raw, str) else ""
    if "<" in text or "&" in text:
        text = unescape(text, users)
    if text.strip():
        yield msg, "text", text
    if _RICH_KEYS.isdisjoint(msg):
        return
    parts: list[tuple[str, str]] = []
    if "blocks" in msg:
        out: list[str] = []
        _block_text(msg["blocks"], users, out)
        blocks = "".join(out)
        if blocks.split() != text.split():
            parts.append(("blocks", blocks))
    for att in msg.get("attachments") or ():
        if isinstance(att, dict):
            parts.append(("attachment", "\n".join(_attachment_text(att, users))))
    for f in msg.get("files") or ():
        if isinstance(f, dict):
            parts.append(("file", "\n".join(_file_text(f))))
    for part, body in parts:
        if body.strip():
            yield msg, part, body
    for key in ("message", "previous_message", "root"):  # edits and thread broadcasts
        inner = msg.get(key)
        if isinstance(inner, dict):
            yield from _message_parts(inner, users)


def _message_provenance(msg: dict[str, Any], part: str, day: ChatProvenance,
                        users: Mapping[str, str]) -> ChatProvenance:
    """The provenance of one part of a message: the day's, with sender, time and thread."""
    uid = msg.get("user")
    profile = _dict(msg.get("user_profile"))
    author = (users.get(uid) if isinstance(uid, str) else None) or profile.get("name") \
        or msg.get("username") or (uid if isinstance(uid, str) else None)
    edited = msg.get("edited")
    return ChatProvenance(
        path=day.path, platform="slack", member=day.member, channel=day.channel,
        author=author if isinstance(author, str) else None, timestamp=iso(msg.get("ts")),
        thread=iso(msg["thread_ts"]) if msg.get("thread_ts") else None, part=part,
        edited=iso(edited.get("ts")) if isinstance(edited, dict) else None,
        user=day.user, owner=day.owner, mode=day.mode, mtime=day.mtime)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_file(p: Provenance) -> Provenance:
    """A non-message file of the export keeps the provenance its own reader gave it."""
    return p


SLACK_EXPORT = SlackExport()
