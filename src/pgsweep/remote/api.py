"""GET JSON pages from a forge's REST API (stdlib only): follow pagination, and wait out
rate limits as the forge documents them, with one line saying so, never past a cap."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPMessage
from typing import Any
from urllib.parse import urlsplit

from pgsweep.remote.errors import RemoteError
from pgsweep.remote.urls import scrub

MAX_PAGE_BYTES = 32 * 1024 * 1024
MAX_PAGES = 10_000
DEFAULT_MAX_WAIT = 900.0
USER_AGENT = "pgsweep"

Say = Callable[[str], None]
NextPage = Callable[[str, Message], str | None]


@dataclass(frozen=True)
class Client:
    """One forge: its name for messages, the headers every request carries (the token's
    among them), how long a rate limit may make it wait, and where to say so."""

    forge: str
    headers: Mapping[str, str]
    max_wait: float = DEFAULT_MAX_WAIT
    say: Say = lambda message: None
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 60.0


def rate_limit_wait(status: int, headers: Message, now: float) -> float | None:
    """Seconds to wait before retrying, when the response is a rate limit; else None.

    `Retry-After` (seconds) on a 403 or 429 (GitHub's secondary limits, GitLab); a 403 or
    429 with `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset` (epoch seconds,
    GitHub's primary limit); another 429 waits a minute.
    """
    if status not in (403, 429):
        return None
    retry = headers.get("Retry-After")
    if retry is not None and retry.strip().isdigit():
        return float(retry.strip())
    if headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = headers.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():
            return max(0.0, float(reset) - now) + 1.0
        return 60.0
    return 60.0 if status == 429 else None


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same scheme, host and port: urllib would send the
    token's header to wherever a redirect points."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl)[:2] != urlsplit(req.full_url)[:2]:
            raise RemoteError(f"a redirect to another host ({urlsplit(newurl).hostname}); "
                              "not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


def _fetch(client: Client, url: str) -> tuple[Any, Message]:
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                      **client.headers})
    while True:
        try:
            with _OPENER.open(request, timeout=client.timeout) as response:
                body = response.read(MAX_PAGE_BYTES + 1)
                headers = response.headers
            break
        except urllib.error.HTTPError as exc:
            wait = rate_limit_wait(exc.code, exc.headers, time.time())
            if wait is None:
                raise RemoteError(
                    f"{client.forge}: {_show(url)}: HTTP {exc.code} {exc.reason}") from None
            if wait > client.max_wait:
                raise RemoteError(
                    f"{client.forge}: rate limit: the wait of {wait:.0f} s is longer than "
                    f"--max-rate-wait ({client.max_wait:g} s)") from None
            client.say(f"{client.forge}: rate limit reached; waiting {wait:.0f} s")
            client.sleep(wait)
        except RemoteError as exc:
            raise RemoteError(f"{client.forge}: {_show(url)}: {exc}") from None
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", None) or exc
            raise RemoteError(f"{client.forge}: {_show(url)}: {scrub(str(why))}") from None
    if len(body) > MAX_PAGE_BYTES:
        raise RemoteError(f"{client.forge}: {_show(url)}: a page larger than "
                          f"{MAX_PAGE_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(body), headers
    except ValueError:
        raise RemoteError(f"{client.forge}: {_show(url)}: not a JSON answer") from None


def _show(url: str) -> str:
    """The URL's path, for messages (no query: it may hold a token someone put there)."""
    return urlsplit(url).path or "/"


def link_next(headers: Message) -> str | None:
    """The `rel="next"` target of an RFC 8288 `Link` header."""
    for part in (headers.get("Link") or "").split(","):
        target, _, params = part.partition(";")
        rels = [p.strip() for p in params.split(";")]
        if any(r.replace(" ", "") in ('rel="next"', "rel=next") for r in rels):
            return target.strip().strip("<>")
    return None


def iter_pages(client: Client, url: str, next_page: NextPage) -> Iterator[list[Any]]:
    """Each page (a JSON list) from `url` on, following `next_page`; a next page on
    another host or scheme than the first is refused (the token goes with each request)."""
    origin = urlsplit(url)[:2]
    for _ in range(MAX_PAGES):
        data, headers = _fetch(client, url)
        if not isinstance(data, list):
            raise RemoteError(f"{client.forge}: {_show(url)}: not a list of repositories")
        yield data
        following = next_page(url, headers)
        if not following:
            return
        if urlsplit(following)[:2] != origin:
            raise RemoteError(f"{client.forge}: a next page on another host; not followed")
        url = following
    raise RemoteError(f"{client.forge}: more than {MAX_PAGES} pages")
