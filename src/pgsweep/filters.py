"""Pure predicates that drop placeholders and references, and classify local hosts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

from pgsweep.models import Candidate

Filter = Callable[[Candidate], bool]

_TEMPLATE_RE = re.compile(
    r"""(
        \$\{[^}]*\}?            # ${VAR}, ${VAR:-x} handled by the detector's default rule
      | ^\$[A-Za-z_][A-Za-z0-9_]*$ | ^\$\(.*\)$   # $VAR, $(cmd)
      | ^%[A-Za-z_][A-Za-z0-9_]*%$               # %VAR% (cmd)
      | \{\{.*\}\}              # {{ .Values.x }}, {{password}}
      | \{%.*%\}                # jinja statements
      | %\([A-Za-z_][A-Za-z0-9_]*\)s             # %(password)s
      | ^\{[A-Za-z_][A-Za-z0-9_.]*\}$            # {password} (str.format / f-string field)
      | ^<[^<>]+>$              # <password>
      | ^\[[A-Za-z_ -]+\]$      # [password], [REDACTED]
      | <%=?.*%>                # ERB
      | ^\#\{.*\}$              # Ruby interpolation
      | ^env\(.*\)$ | ^ENV\[.*\]$ | ^os\.environ | ^process\.env | ^getenv\(
      | ^\$env:[A-Za-z_]+$      # PowerShell env
      | ^\$\$[A-Za-z_]          # escaped $ in compose/make
      | ^\{\$[A-Za-z_]
    )""",
    re.VERBOSE,
)
_MASK_RE = re.compile(r"^(\*+|x{3,}|X{3,}|•+|\[?MASKED\]?|\[?REDACTED\]?|\[?HIDDEN\]?|\.{3,}|…|-{3,})$",
                      re.IGNORECASE)
_PLACEHOLDERS = frozenset(
    """
    password passwd pass pwd passw0rd password1 password123 your_password yourpassword
    your-password your_db_password db_password dbpassword database_password mypassword my_password
    mysecretpassword mysecret my_secret secret secrets changeme change_me change-me changeit
    example sample test testing dummy fake placeholder xxx todo tbd none null nil undefined
    redacted masked hidden foo bar foobar baz qux pw pw1 passwort contraseña motdepasse
    user_password userpassword postgres_password pgpassword pg_password new_password
    newpassword old_password oldpassword some_password somepassword insert_password_here
    enter_password password_here secret_password supersecret super_secret s3cret
    <password> your_strong_password strongpassword strong_password mypass my_pass
    """.split()
)
_LOCAL_NAMES = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "db", "postgres", "postgresql",
     "pg", "database", "host.docker.internal", "docker", "pgbouncer"}
)
_DOC_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_DOC_DOMAINS = ("example.com", "example.net", "example.org")


def is_empty(c: Candidate) -> bool:
    return not (c.parsed.password or "").strip()


def is_template_reference(c: Candidate) -> bool:
    """`${DB_PASSWORD}`, `$PGPASSWORD`, `{{ .Values.x }}`, `%(password)s`, `<password>`…"""
    pw = c.parsed.password or ""
    return _TEMPLATE_RE.search(pw) is not None or _is_code_concatenation(pw)


def _is_code_concatenation(pw: str) -> bool:
    # "' + password + '" or "" + pw: the string was built in code.
    return bool(re.search(r"""['"]\s*\+|\+\s*['"]|^\s*\+\s*\w""", pw))


def is_masked(c: Candidate) -> bool:
    """`***`, `****`, `[REDACTED]`, `xxxxx`, `[MASKED]`: already hidden by a logger or CI."""
    return _MASK_RE.match(c.parsed.password or "") is not None


def is_placeholder(c: Candidate) -> bool:
    """Documentation placeholders: `password`, `your_password`, `changeme`, `secret`…"""
    pw = (c.parsed.password or "").strip().lower()
    if pw in _PLACEHOLDERS:
        return True
    if re.fullmatch(r"(your|my|the|some|enter|insert)[-_ ]?\w*[-_ ]?(password|pass|pwd|secret)s?(_here)?", pw):
        return True
    user = (c.parsed.user or "").lower()
    # user:user and the like ("pass" for "postgres" is the docker image's sample)
    return bool(user) and pw == user and user in {"user", "username", "admin", "test"}


def is_inline_ignored(c: Candidate) -> bool:
    """`pgsweep:ignore`, detect-secrets' `pragma: allowlist secret`, `gitleaks:allow`."""
    line = c.line_text
    return (
        "pgsweep:ignore" in line
        or "pragma: allowlist secret" in line
        or "gitleaks:allow" in line
    )


DEFAULT_FILTERS: Sequence[tuple[str, Filter]] = (
    ("empty", is_empty),
    ("template", is_template_reference),
    ("masked", is_masked),
    ("placeholder", is_placeholder),
    ("inline-ignore", is_inline_ignored),
)


def suppression_reason(c: Candidate, filters: Sequence[tuple[str, Filter]] = DEFAULT_FILTERS) -> str | None:
    """The name of the first filter that drops `c`, or None to keep it."""
    for name, pred in filters:
        if pred(c):
            return name
    return None


def is_local_host(host: str) -> bool:
    """Loopback, unix socket, or a typical local docker service name."""
    h = host.strip().lower().strip("[]")
    if not h or h.startswith("/") or h.startswith("@"):
        return True  # default socket, socket dir, abstract socket
    if h in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(h.split("%", 1)[0]).is_loopback or h == "0.0.0.0"
    except ValueError:
        return False


def is_documentation_host(host: str) -> bool:
    """RFC 2606 / 6761 names reserved for examples: never a real server."""
    h = host.strip().lower().rstrip(".")
    return h in _DOC_DOMAINS or h.endswith(tuple("." + d for d in _DOC_DOMAINS)) or h.endswith(
        _DOC_SUFFIXES
    )


def is_local_only(hosts: Sequence[str]) -> bool:
    """Every host is local or a documentation name (no host at all is not local)."""
    return bool(hosts) and all(is_local_host(h) or is_documentation_host(h) for h in hosts)
