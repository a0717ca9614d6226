"""Mail (mbox, Maildir messages, .eml): each message's text parts decoded (MIME, quoted-printable,
base64, charsets) and its attachments read like files, with From, Date, Subject, Message-ID."""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC
from typing import IO, TYPE_CHECKING

from pgsweep.core.models import MailProvenance, Provenance, Skipped
from pgsweep.readers.interface import FileInfo, Nested, ReadItem
from pgsweep.readers.normalise import LineMappedText, member_of, reader_name
from pgsweep.readers.sniff import looks_binary
from pgsweep.readers.text import where_of

if TYPE_CHECKING:
    from email.message import Message
    from email.parser import BytesParser

_HEADER_RE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]", re.MULTILINE)
_MAIL_HEADERS = frozenset({
    b"from", b"to", b"date", b"subject", b"message-id", b"mime-version", b"received",
    b"return-path", b"content-type", b"delivered-to", b"reply-to", b"cc",
})
_MBOX_FROM_RE = re.compile(rb"From \S+ ")
_NAME_RE = re.compile(r"\.(?:eml|mbox|mbx)$|^mbox$|^(?:inbox|sent|archive)$", re.IGNORECASE)


@functools.cache
def _parser() -> BytesParser:
    """The parser of messages (the modern policy: decoded headers, `get_content`)."""
    # Here, not at the top, for start-up time: the email package loads when mail is read.
    import email.policy
    from email.parser import BytesParser

    return BytesParser(policy=email.policy.default)


def _header_block(head: bytes) -> bytes:
    end = head.find(b"\n\n")
    crlf = head.find(b"\r\n\r\n")
    if crlf >= 0 and (end < 0 or crlf < end):
        end = crlf
    return head if end < 0 else head[:end]


def is_message_head(head: bytes) -> bool:
    """Starts with a header line and its header block names at least two mail headers."""
    if _HEADER_RE.match(head) is None:
        return False
    names = {m.group(1).lower() for m in _HEADER_RE.finditer(_header_block(head[:8192]))}
    return len(names & _MAIL_HEADERS) >= 2


def is_mbox_head(head: bytes) -> bool:
    """An mbox: a `From <sender> <date>` line, then a message's headers."""
    if _MBOX_FROM_RE.match(head) is None:
        return False
    nl = head.find(b"\n")
    return nl > 0 and is_message_head(head[nl + 1:])


class MailReader:
    """An mbox (many messages) or one message file (.eml, a Maildir `cur`/`new` entry)."""

    name = "mail"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        if looks_binary(head):
            return False
        if is_mbox_head(head):
            return True
        path = (info.member or info.path).replace("\\", "/")
        in_maildir = "/cur/" in path or "/new/" in path or path.startswith(("cur/", "new/"))
        named = _NAME_RE.search(info.name) is not None
        return (named or in_maildir) and is_message_head(head)

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[ReadItem]:
        yield from self.iter_stream(info, io.BytesIO(data), len(data))

    def iter_stream(self, info: FileInfo, fh: IO[bytes], max_size: int) -> Iterator[ReadItem]:
        """Each message of the stream in turn (one, or an mbox's), each at most `max_size`."""
        head = fh.read(4096)
        fh.seek(0)
        if not is_mbox_head(head):
            data = fh.read(max_size + 1)
            if len(data) > max_size:
                yield Skipped(where_of(info), "too large")
                return
            yield from _message_items(info, data, None, 1)
            return
        for n, (line, raw) in enumerate(_iter_mbox(fh, max_size), 1):
            place = f"message {n}"
            if raw is None:
                yield Skipped(f"{where_of(info)}!{place}", "too large")
            else:
                yield from _message_items(info, raw, place, line)


def _iter_mbox(fh: IO[bytes], max_size: int) -> Iterator[tuple[int, bytes | None]]:
    """(first line, message bytes) of each message; None for one above `max_size`.

    A message starts at a `From ` line at the start of the file or after a blank line;
    `>From ` lines in bodies lose one `>` (mboxrd), as mail clients read them.
    """
    parts: list[bytes] = []
    size, start, line, prev_blank, too_big = 0, 1, 0, True, False
    for raw in fh:
        line += 1
        if raw.startswith(b"From ") and prev_blank and _MBOX_FROM_RE.match(raw):
            if line > 1:
                yield start, None if too_big else b"".join(parts)
            parts, size, start, too_big = [], 0, line, False
            prev_blank = False
            continue
        prev_blank = raw in (b"\n", b"\r\n")
        if too_big:
            continue
        if raw.startswith(b">") and raw.lstrip(b">").startswith(b"From "):
            raw = raw[1:]
        size += len(raw)
        if size > max_size:
            too_big, parts = True, []
            continue
        parts.append(raw)
    if line:
        yield start, None if too_big else b"".join(parts)


def _utc(value: str | None) -> str | None:
    from email.utils import parsedate_to_datetime  # loaded with the parser (start-up time)

    if not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).isoformat(timespec="seconds")


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is left out, the message is read
        return None
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _message_items(info: FileInfo, raw: bytes, place: str | None,
                   line: int) -> Iterator[ReadItem]:
    msg = _parser().parsebytes(raw)
    member = f"{info.member}!{place}" if info.member and place else (place or info.member)
    base = MailProvenance(
        path=info.path, sender=_header(msg, "From"), timestamp=_utc(_header(msg, "Date")),
        subject=_header(msg, "Subject"), message_id=_header(msg, "Message-ID"),
        member=member, **info.facts(),
    )
    where = f"{info.path}!{member}" if member else info.path
    for n, part in enumerate(msg.walk(), 1):
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if filename or disposition == "attachment" or part.get_content_maintype() != "text":
            name = filename or f"part {n}"
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                yield Skipped(f"{where}!{name}", "mail: attachment not decodable")
                continue
            ainfo = replace(info, name=name.rsplit("/", 1)[-1],
                            member=f"{member}!{name}" if member else name)
            yield Nested(ainfo, payload, _attachment_wrap(base, name, ainfo.member or name))
            continue
        text = _part_text(part)
        if part.get_content_subtype() == "html":
            text = html.unescape(text)
        body = LineMappedText()
        body.add(text.replace("\r\n", "\n"), line)
        if text.strip():
            yield body.chunk(base)


def _part_text(part: Message) -> str:
    """The part's text in its charset; an unknown charset falls back to UTF-8."""
    from email.message import EmailMessage  # loaded with the parser (start-up time)

    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, UnicodeError, ValueError, AttributeError):
            pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "surrogateescape")
    return str(part.get_payload())


def _attachment_wrap(base: MailProvenance, name: str,
                     member: str) -> Callable[[Provenance], Provenance]:
    def wrap(p: Provenance) -> Provenance:
        if isinstance(p, MailProvenance):  # a message attached to this one: the inner one
            return p
        inner = member_of(p) or member
        rest = inner[len(member):] if inner.startswith(member) else ""
        return replace(base, part=f"attachment {name}{rest}", reader=reader_name(p))

    return wrap


MAIL_READER = MailReader()
