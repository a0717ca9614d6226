"""Keep secret material out of every field of a finding but the secret itself.

A finding's secret is redacted wherever it is shown. Every other field (user, hosts,
database, parameters, and the text of its place: path, author, job…) is shown as found,
except where it holds secret material (docs/redaction.md):

- a host with an `@`: libpq ends a URI's password at the first raw `@`, so what it reads
  as the host (`ss@db.example.com` in `postgres://app:p@ss@db.example.com/db`) starts
  with the rest of the real password; everything up to the last `@` is replaced;
- the credentials of a connection string inside a field (a nested URI or `password=`
  inside a database name, a parameter or a path) are replaced;
- a parameter that is itself secret (`password`, `sslpassword`, any `*pass*`, `*secret*`,
  `*token*` key) or whose value is the password is replaced;
- a parameter name that is no name: a bare word without a value (pgjdbc reads
  `?password=Qv7K&Jx9Mb2` as password `Qv7K` and a parameter `Jx9Mb2`, the rest of a
  password holding a raw `&`) or a key holding a character no parameter name has (`@`,
  `/`, `:`, white space: the rest of a URI after a password's raw `@`) is replaced;
- the secret itself, where a field contains it, when it is distinctive: 8 characters or
  more, not only letters and not only digits. A weak password (`postgres`, `secret`) also
  names hosts, users and databases innocently (`core-postgresql.prod.svc`); replacing it
  there would hide where the leak is while protecting nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from pgsweep.core.models import Finding, Provenance, ScanStats

MARK = "[REDACTED]"
MIN_DISTINCTIVE = 8

# Key names whose value is a secret; `passfile` names a file and stays.
_SECRET_KEY = re.compile(r"(?i)pass(?!file)|pwd|psw|secret|token|api_?key|credential")
# `password=value` inside a field (a key/value connection string nested in a database name)
_KEY_VALUE = re.compile(
    r"(?i)((?:ssl)?password|pwd|psw)([ \t]*=[ \t]*)('(?:[^'\\]|\\.)*'?|[^\s;&'][^\s;&]*)"
)
_SPACE = re.compile(r"\s")
# What a connection parameter's name looks like (`sslmode`, `ApplicationName`, `options`).
_PARAM_NAME = re.compile(r"[A-Za-z_][\w.-]*")
# The text fields of a place; ids, dates and modes are left alone.
_PLACE_FIELDS = ("repo", "path", "member", "section", "connection", "job", "step", "author",
                 "user", "owner", "channel", "sender", "subject", "part", "image", "exe")


def is_distinctive(secret: str) -> bool:
    """A secret that cannot turn up in another field by chance: 8+ characters, not only
    letters and not only digits (`Xk7zQ9pL2m`, not `postgres` or `20240101`)."""
    return len(secret) >= MIN_DISTINCTIVE and not secret.isalpha() and not secret.isdigit()


def is_secret_param(key: str) -> bool:
    """A connection parameter whose value is a secret (`password`, `sslpassword`, …)."""
    return _SECRET_KEY.search(key) is not None


def _uri_credentials(text: str) -> str:
    """Each `scheme://user:password@` inside `text` with its password replaced.

    libpq ends userinfo at the first `@` or `/`, but a nested URI that libpq could not read
    (a raw `/` or `@` in its password) is exactly the one shown whole: here the password
    runs from the first `:` after `://` to the last `@` before a space or `?`.
    """
    out: list[str] = []
    pos = 0
    while True:
        at = text.find("://", pos)
        if at < 0:
            break
        start = at + 3
        space = _SPACE.search(text, start)
        seg_end = len(text) if space is None else space.start()
        query = text.find("?", start, seg_end)
        end = text.rfind("@", start, seg_end if query < 0 else query)
        colon = text.find(":", start, end) if end >= 0 else -1
        if colon >= 0 and end > colon + 1:
            out.append(text[pos : colon + 1])
            out.append(MARK)
            pos = end
        # no further userinfo in this stretch: go on after it (linear in the text)
        out.append(text[pos:seg_end])
        pos = seg_end
    out.append(text[pos:])
    return "".join(out)


class SecretSet:
    """The distinctive secrets of a run, indexed by their first characters so that masking
    them costs time linear in the text, however many secrets there are."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._by_head: dict[str, tuple[str, ...]] = {}
        heads: dict[str, set[str]] = {}
        for secret in secrets:
            if is_distinctive(secret):
                heads.setdefault(secret[:MIN_DISTINCTIVE], set()).add(secret)
        self._by_head = {head: tuple(group) for head, group in heads.items()}

    def mask(self, text: str) -> str:
        """`text` with every character that belongs to an occurrence of a secret (even of
        two overlapping ones) inside one `MARK` per contiguous stretch."""
        if not self._by_head or len(text) < MIN_DISTINCTIVE:
            return text
        spans: list[tuple[int, int]] = []
        for i in range(len(text) - MIN_DISTINCTIVE + 1):
            group = self._by_head.get(text[i : i + MIN_DISTINCTIVE])
            if group is None:
                continue
            ends = [i + len(s) for s in group if text.startswith(s, i)]
            if not ends:
                continue
            end = max(ends)
            if spans and i <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((i, end))
        if not spans:
            return text
        out, pos = [], 0
        for start, end in spans:
            out += [text[pos:start], MARK]
            pos = end
        out.append(text[pos:])
        return "".join(out)


def scrub_text(text: str, secrets: Iterable[str] | SecretSet) -> str:
    """`text` with nested connection-string passwords and distinctive `secrets` replaced."""
    if "://" in text:
        text = _uri_credentials(text)
    if "=" in text:
        text = _KEY_VALUE.sub(lambda m: m.group(1) + m.group(2) + MARK, text)
    index = secrets if isinstance(secrets, SecretSet) else SecretSet(secrets)
    return index.mask(text)


def scrub_host(host: str, secrets: Iterable[str] | SecretSet) -> str:
    """A host as `scrub_text` leaves it, with anything up to its last `@` (the rest of a
    password holding a raw `@`) replaced."""
    at = host.rfind("@")
    if at >= 0:
        host = MARK + host[at:]
    return scrub_text(host, secrets)


def scrub_params(
    params: tuple[tuple[str, str], ...], secrets: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """Secret parameters and parameters equal to a secret replaced, names that are the
    rest of a password replaced; the rest scrubbed."""
    out = []
    for key, value in params:
        named = bool(value) and _PARAM_NAME.fullmatch(key) is not None
        key = scrub_text(key, secrets) if named else MARK
        if is_secret_param(key) or (value and value in secrets):
            out.append((key, MARK))
        else:
            out.append((key, scrub_text(value, secrets)))
    return tuple(out)


def scrub_provenance(p: Provenance, secrets: Sequence[str]) -> Provenance:
    """The text fields of a place scrubbed (git ids, dates and modes never hold one)."""
    changes = {}
    for name in _PLACE_FIELDS:
        value = getattr(p, name, None)
        if isinstance(value, str):
            clean = scrub_text(value, secrets)
            if clean != value:
                changes[name] = clean
    if not changes:
        return p
    scrubbed: Provenance = dataclasses.replace(cast(Any, p), **changes)  # a union: one kind
    return scrubbed


def scrub_stats(stats: ScanStats, secrets: SecretSet) -> None:
    """The text a scan's counters carry (warnings, notices, why it is incomplete, and the
    skip reasons they are counted under: a ref's or a file's name can hold a secret)
    scrubbed in place; reasons that become equal are counted together."""
    for texts in (stats.warnings, stats.notices, stats.incomplete):
        texts[:] = [scrub_text(t, secrets) for t in texts]
    skipped: dict[str, int] = {}
    for reason, count in stats.skipped.items():
        clean = scrub_text(reason, secrets)
        skipped[clean] = skipped.get(clean, 0) + count
    stats.skipped = skipped


def scrub_finding(f: Finding) -> Finding:
    """Every field of `f` but the secret scrubbed of secret material."""
    user, hosts, database, params = _scrub_parts(f.secret, f.user, f.hosts, f.database, f.params)
    provenance = _scrub_place(f.provenance, f.secret)
    if (user, hosts, database, params, provenance) == (
        f.user, f.hosts, f.database, f.params, f.provenance
    ):
        return f
    return dataclasses.replace(
        f, user=user, hosts=hosts, database=database, params=params, provenance=provenance)


# A secret repeated in many places (a history's versions of one file) is scrubbed once per
# credential and once per place.
@functools.lru_cache(maxsize=4096)
def _scrub_parts(
    secret: str, user: str | None, hosts: tuple[str, ...], database: str | None,
    params: tuple[tuple[str, str], ...],
) -> tuple[str | None, tuple[str, ...], str | None, tuple[tuple[str, str], ...]]:
    secrets = (secret,) if secret else ()
    return (
        None if user is None else scrub_text(user, secrets),
        tuple(scrub_host(h, secrets) for h in hosts),
        None if database is None else scrub_text(database, secrets),
        scrub_params(params, secrets),
    )


@functools.lru_cache(maxsize=4096)
def _scrub_place(p: Provenance, secret: str) -> Provenance:
    return scrub_provenance(p, (secret,) if secret else ())
