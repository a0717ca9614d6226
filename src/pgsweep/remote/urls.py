"""Tell repository URLs from paths, and show them without the credentials they may carry."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pgsweep.remote.errors import RemoteError

# Transports git may use for a repository pgsweep mirrors; `ext::` and friends never.
SCHEMES = ("https", "http", "ssh", "git", "file")
ALLOWED_PROTOCOLS = "file:git:http:https:ssh"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# scp-like `[user@]host:path`: no slash before the colon, and not a Windows drive letter
_SCP = re.compile(r"^(?:(?P<user>[^@/:\s-][^@/:\s]*)@)?"
                  r"(?P<host>[A-Za-z0-9.][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):"
                  r"(?P<path>(?!//)\S+)$")
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]*@")


@dataclass(frozen=True)
class RemoteUrl:
    """A repository URL: `clone` is what git is given, `display` what pgsweep shows and
    stores (no user name, password or token)."""

    clone: str = ""
    display: str = ""
    secrets: tuple[str, ...] = ()  # userinfo, query and fragment to scrub from git's messages


def is_remote(entry: str) -> bool:
    """Whether `entry` names a repository by URL (any scheme pgsweep mirrors, or scp-like
    `git@host:path`) rather than by a local path."""
    m = _SCHEME.match(entry)
    if m:
        return True
    return bool(_SCP.match(entry)) and len(entry.split(":", 1)[0]) > 1


def parse(entry: str) -> RemoteUrl:
    """The URL `entry`, or a RemoteError naming the problem (never the credential)."""
    entry = entry.strip()
    m = _SCHEME.match(entry)
    if m:
        scheme = m.group(1).lower()
        if scheme not in SCHEMES:
            raise RemoteError(f"{scrub(entry)}: unsupported URL scheme {scheme!r} "
                              f"(use {', '.join(SCHEMES)})")
        parts = urlsplit(entry)
        host = parts.hostname or ""
        if scheme != "file" and not host:
            raise RemoteError(f"{scrub(entry)}: no host in the URL")
        if host.startswith("-") or (parts.username or "").startswith("-"):
            raise RemoteError(f"{scrub(entry)}: a host or user name may not start with '-'")
        netloc = host if ":" not in host else f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            raise RemoteError(f"{scrub(entry)}: bad port in the URL") from None
        if port is not None:
            netloc += f":{port}"
        display = urlunsplit((scheme, netloc, parts.path, "", ""))
        # a user name over http(s) is often a token; over ssh it is an account name
        named = (parts.username,) if scheme in ("http", "https") else ()
        # the query and fragment are not shown, and may carry a token (`?access_token=…`)
        hidden = (parts.query, *(v for _, v in parse_qsl(parts.query)), parts.fragment)
        secrets = tuple(s for s in (*named, parts.password, *hidden) if s)
        return RemoteUrl(clone=entry, display=display, secrets=secrets)
    s = _SCP.match(entry)
    if s and len(entry.split(":", 1)[0]) > 1:
        path = s.group("path")
        display = f"ssh://{s.group('host')}{'' if path.startswith('/') else '/'}{path}"
        return RemoteUrl(clone=entry, display=display)
    raise RemoteError(f"{scrub(entry)}: not a repository URL")


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with the userinfo of every URL in it removed and each of `secrets` masked."""
    out = _USERINFO.sub(lambda m: m.group("scheme"), text)
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            out = out.replace(secret, "***")
    return out


def mirror_name(display: str) -> str:
    """A folder name for the mirror of `display`: readable, and unique by a hash."""
    digest = hashlib.sha256(display.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", display.split("://", 1)[-1]).strip("._")[-60:]
    return f"{tail or 'repo'}-{digest}.git"
