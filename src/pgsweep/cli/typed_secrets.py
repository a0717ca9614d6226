"""Keep what the user typed secret: a password in a command-line argument (a connection URL
given where a revision or a format belongs) is masked in every message on stderr."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import unquote

# `scheme://user:password@`, `password=value`, `PGPASSWORD=value`
_SECRET_RES = (
    re.compile(r"://[^:/@\s]*:([^@\s]+)@"),
    re.compile(r"(?i)(?:password|passwd|pwd)\s*=\s*'?([^\s&;']+)"),
)
MASK = "[REDACTED]"
SHORTEST = 3  # shorter values are masked nowhere: they would mask ordinary words


def secrets_in(argv: Sequence[str]) -> tuple[str, ...]:
    """The passwords the arguments hold, as typed and percent-decoded, longest first."""
    found = {s for arg in argv for r in _SECRET_RES for m in r.finditer(arg)
             for s in (m.group(1), unquote(m.group(1))) if len(s) >= SHORTEST}
    return tuple(sorted(found, key=len, reverse=True))


class MaskedStream:
    """A text stream that writes `MASK` where one of `secrets` would appear."""

    def __init__(self, stream: TextIO, secrets: Sequence[str]) -> None:
        self._stream = stream
        self._secrets = tuple(secrets)

    def write(self, text: str) -> int:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def mask_stderr(argv: Sequence[str]) -> None:
    """From here on, stderr masks the passwords `argv` holds."""
    secrets = secrets_in(argv)
    if secrets:
        sys.stderr = MaskedStream(sys.stderr, secrets)
