"""The parser interface: a signature's regex match in, a structured credential out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from pgsweep.core.models import ParsedCredential

Parser = Callable[[re.Match[str], Mapping[str, str]], "ParsedCredential | None"]
"""Turns a match into a credential, or None when the match holds none.

The mapping is the signature's `fields` (credential field -> regex group name); parsers
that understand a whole form read the match themselves and may ignore it.
"""


class ParseError(ValueError):
    """Text that looks like a form but is not valid in it (callers treat it as no match)."""
