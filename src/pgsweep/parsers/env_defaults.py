"""Find the literal fallback of a value read from the environment (`process.env.X || "d"`,
`os.getenv("X", "d")`): the program uses that literal whenever the variable is unset.

Two shapes cover the languages seen in application code:

- an environment read, then a fallback operator (`||`, `??`, `?:`, `or`) and a literal:
  `process.env.DB_PASSWORD || "d"` (JavaScript), `Environment.get("X") ?? "d"` (Swift),
  `System.getenv("X") ?: "d"` (Kotlin), `os.environ.get("X") or "d"` (Python),
  `ENV["X"] || "d"` (Ruby), `getenv('X') ?: 'd'` (PHP);
- a call that reads a variable with a default argument: `os.getenv("X", "d")`,
  `Sys.getenv("X", "d")` (R), `ENV.fetch("X", "d")` (Ruby), `env("X", "d")` (Laravel),
  `config("X", default="d")` (python-decouple), `System.getenv().getOrDefault("X", "d")`.

`ENV_WRAPPED` is a regex fragment that ends where the literal starts; signatures and
sibling readers put their literal pattern after it. Every repetition in it is bounded.
"""

from __future__ import annotations

import re

_NAME = r"""[ \t]*["'][\w.-]{1,80}["'][ \t]*"""
ENV_READ = (
    r"(?:(?:import\.meta|process|[Dd]eno|Bun)\.env(?:\.[A-Za-z_]\w{0,80}|\[" + _NAME + r"\]"
    r"|\.get\(" + _NAME + r"\))"
    r"|(?:os\.)?environ(?:\.get\(" + _NAME + r"\)|\[" + _NAME + r"\])"
    r"|(?:[A-Za-z_]\w{0,40}\.){0,2}(?:getenv|Getenv|GetEnvironmentVariable|get_env)\("
    + _NAME + r"\)"
    r"|Environment\.get\(" + _NAME + r"\)"
    r"|\$?_?ENV\[" + _NAME + r"\])"
    r"[ \t]*(?:\|\||\?\?|\?:|or(?=[ \t]))[ \t]*"
)
ENV_CALL = (
    r"(?:[A-Za-z_]\w{0,40}(?:\(\))?\.){0,3}(?:getenv|get_env|env|fetch|getOrDefault|config|environ\.get)"
    r"\(" + _NAME + r",[ \t]*(?:default[ \t]*=[ \t]*)?"
)
ENV_WRAPPED = f"(?:{ENV_READ}|{ENV_CALL})"
_LIT = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`"""
_WRAPPED_RE = re.compile(f"(?:{ENV_READ}(?P<a>{_LIT})|{ENV_CALL}(?P<b>{_LIT})[ \t]*\\)?)")


def fallback_literal(raw: str) -> str | None:
    """The literal (quotes kept) that `raw`, an environment read with a fallback, falls
    back to; None when `raw` is not one."""
    m = _WRAPPED_RE.fullmatch(raw.strip())
    if m is None:
        return None
    return m.group("a") if m.group("a") is not None else m.group("b")
