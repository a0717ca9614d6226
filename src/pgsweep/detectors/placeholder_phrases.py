"""Recognise a value that is an instruction to whoever deploys rather than a password:
`replace-me`, `change_me_in_production`, `pleasechange`, `set-in-env`, `fill-me-in`,
`replace-me-with-a-random-string`, `!!!SET POSTGRES_PASSWORD!!!`, and camelCase prose such as
`yourStrong(!)Password`."""

from __future__ import annotations

import re

_INSTRUCTION_RE = re.compile(
    r"(?:please[-_ ]?)?(?:change|replace|set|fill|update|edit)"
    r"(?:[-_ ]?(?:me|this|it|in|out|env|environment|prod|production|later|before|deploy"
    r"|deployment|now|value|here)){0,4}(?:[-_ ]?please)?"
    r"|please[-_ ]?(?:change|replace|set|fill|update|edit)",
    re.IGNORECASE,
)
# an instruction with what to put there: `replace-me-with-a-random-string`,
# `change_this_to_a_strong_password`, `set-by-the-operator`
_INSTRUCTION_WITH_RE = re.compile(
    r"(?:please[-_ ]?)?(?:change|replace|set|fill|update|edit)(?:[-_ ]?(?:me|this|it))?"
    r"[-_ ](?:with|to|by|for|before|in|into|on|after)(?:[-_ ][a-z]+){1,8}",
    re.IGNORECASE,
)
# a note framed by repeated marks for whoever fills it in (cookiecutter-django's
# `!!!SET POSTGRES_PASSWORD!!!`, `??fill me??`)
_FRAMED_RE = re.compile(r"(!{2,}|\?{2,}|#{2,})[^!?#\n]{1,80}\1")
_CAMEL_PROSE_RE = re.compile(r"(?:your|my|enter|insert)[A-Z].{0,40}(?i:password|passwd|pass|pwd)")


def is_instruction_phrase(value: str) -> bool:
    """`value` tells the reader to put a password there instead of being one."""
    return (_INSTRUCTION_RE.fullmatch(value) is not None
            or _INSTRUCTION_WITH_RE.fullmatch(value) is not None
            or _FRAMED_RE.fullmatch(value) is not None
            or _CAMEL_PROSE_RE.fullmatch(value) is not None)
