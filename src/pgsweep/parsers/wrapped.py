"""Find the literal a value expression stands for when the expression only wraps it: the
fallback of a value read from the environment (`process.env.X || "d"`, `os.getenv("X",
"d")`, used whenever the variable is unset) and a literal URL-encoded to be put into a
connection URL (`quote_plus("p@ss")`: the password is the literal, not its encoding).

Two environment shapes cover the languages seen in application code:

- an environment read, then a fallback operator (`||`, `??`, `?:`, `or`) and a literal:
  `process.env.DB_PASSWORD || "d"` (JavaScript), `Environment.get("X") ?? "d"` (Swift),
  `System.getenv("X") ?: "d"` (Kotlin), `os.environ.get("X") or "d"` (Python),
  `ENV["X"] || "d"` (Ruby), `getenv('X') ?: 'd'` (PHP);
- a call that reads a variable with a default argument: `os.getenv("X", "d")`,
  `Sys.getenv("X", "d")` (R), `ENV.fetch("X", "d")` (Ruby), `env("X", "d")` (Laravel),
  `config("X", default="d")` (python-decouple), `env.str("X", default="d")`
  (django-environ), `System.getenv().getOrDefault("X", "d")`.

Ruby's `ENV.fetch("X") { "d" }` (also inside Rails' ERB, `<%= … %>`) and Rust's
`env::var("X").unwrap_or("d")` / `.unwrap_or_else(|_| "d".to_string())` read the same way.

The encoding calls: Python `quote`/`quote_plus` (`urllib.parse.`, `parse.`),
JavaScript `encodeURIComponent`, Go `url.QueryEscape`/`url.PathEscape`, Java
`URLEncoder.encode`, PHP `rawurlencode`/`urlencode`, Ruby `CGI.escape`/`ERB::Util.url_encode`.

`WRAPPED` is a regex fragment that ends where the literal starts; signatures and sibling
readers put their literal pattern after it. Every repetition in it is bounded.
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
    r"(?:[A-Za-z_]\w{0,40}(?:\(\))?\.){0,3}"
    r"(?i:getenv\w{0,12}|get_env\w{0,12}|env(?:\.\w{1,12})?|fetch|getordefault|config"
    r"|environ\.get)\("
    + _NAME + r",[ \t]*(?:default[ \t]*=[ \t]*)?"
)
# Ruby's `ENV.fetch("X") { "d" }` and Rust's `env::var("X").unwrap_or("d")`,
# `.unwrap_or_else(|_| "d".to_string())`
BLOCK_READ = r"ENV\.fetch\(" + _NAME + r"\)[ \t]*\{[ \t]*"
RUST_READ = (
    r"(?:std::)?env::var(?:_os)?\(" + _NAME + r"\)\.unwrap_or(?:_else)?\([ \t]*"
    r"(?:\|_\|[ \t]*)?"
)
QUOTE_CALL = (
    r"(?:(?:urllib\.)?(?:parse\.)?(?:quote_plus|quote)|encodeURIComponent|url\.QueryEscape"
    r"|url\.PathEscape|URLEncoder\.encode|rawurlencode|urlencode|CGI\.escape"
    r"|ERB::Util\.url_encode)\([ \t]*"
)
_ERB_OPEN = r"(?:<%=?-?[ \t]*)?"  # Rails' database.yml: `<%= ENV.fetch("X") { "d" } %>`
WRAPPED = f"{_ERB_OPEN}(?:{ENV_READ}|{ENV_CALL}|{QUOTE_CALL}|{BLOCK_READ}|{RUST_READ})"
_LIT = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`"""
_WRAPPED_RE = re.compile(
    f"{_ERB_OPEN}(?:{ENV_READ}(?P<a>{_LIT})"
    f"|(?:{ENV_CALL}|{QUOTE_CALL}|{RUST_READ})(?P<b>{_LIT})"
    r"(?:\.(?:to_string|to_owned|into)\(\))?[ \t]*(?:,[^()\n]{0,40})?\)?"
    f"|{BLOCK_READ}(?P<c>{_LIT})" r"(?:[ \t]*\})?)"
    r"(?:[ \t]*-?%>)?"
)


def wrapped_literal(raw: str) -> str | None:
    """The literal (quotes kept) that `raw` wraps: an environment read's fallback or the
    argument of a URL-encoding call; None when `raw` is neither."""
    m = _WRAPPED_RE.fullmatch(raw.strip())
    if m is None:
        return None
    return next(g for g in m.group("a", "b", "c") if g is not None)
