"""Pure predicates that drop placeholders and references, and classify local hosts."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

from pgsweep.models import Candidate

Filter = Callable[[Candidate], bool]

# A value that names or computes a secret instead of holding one. Anchored alternatives
# must be the whole value; unanchored ones (`${`, `{{`, `%(x)s`, `<%`) are never part of a
# password in practice.
_TEMPLATE_RE = re.compile(
    r"""(
        \$\{[^}]*\}?                             # ${VAR}, ${VAR:-x} (parsers take the default out)
      | ^\$[A-Za-z_][A-Za-z0-9_]*$ | ^\$\(.*\)?$ # $VAR, $(cmd)
      | ^`.*`$                                   # `cmd`
      | ^%[A-Za-z_][A-Za-z0-9_]*%$               # %VAR% (cmd)
      | ^%[sdrvqx]$ | ^%\d*\$?[sdv]$             # printf/%-format: %s %d %v %1$s
      | ^\{\d*\}$ | ^\?$ | ^:[A-Za-z_]\w*$       # {} {0} ? :name (format / bind parameters)
      | \{\{.*\}\}? | \{\{                       # {{ .Values.x }}, {{password}}
      | \{%.*%\}                                 # jinja statements
      | %\([A-Za-z_][A-Za-z0-9_]*\)[sdr]         # %(password)s
      | ^\{[A-Za-z_][A-Za-z0-9_.\[\]'"]*\}$      # {password} (str.format / f-string field)
      | ^\{[A-Za-z_][\w.]*(?:[\[(]|$)            # {pw['x']} / {f(x)} / {pw cut short
      # {pw}, {self.pw}, {pw!r}, {pw:>8} inside a value
      | \{[A-Za-z_]\w*(?:\.\w+|\[[^\]]{0,20}\])*(?:![rsa])?(?::[^{}]{0,20})?\}
      | ^\{\$?[A-Za-z_][\w.]*\}$                 # {$var} (PHP)
      | ^<[^<>]{1,60}>$                          # <password>, <your-password>
      | <[A-Za-z][\w .-]{0,40}>                  # SCRAM-SHA-256$<iteration count>:<salt>
      | ^\[[A-Za-z_ -]{1,40}\]$                  # [password], [REDACTED]
      | <%=?.*%>? | ^<%                          # ERB
      | \#\{.*\}                                 # Ruby interpolation
      | ^(env|ENV|getenv|os\.getenv|secret|var|local|data|random_password)[.(\[]
      | ^os\.environ | ^process\.env\b | ^System\.getenv | ^Environment\.Get
      | ^\$env:[A-Za-z_]\w*$                     # PowerShell env
      | ^\$\$[A-Za-z_{]                          # escaped $ in compose/make
      | ^@[A-Za-z_][\w.-]*@$                     # @token@ (Maven/Ant filtering)
      | ^__[A-Z0-9_]+__$                         # __PASSWORD__ (sed-replaced tokens)
      | ^\$\{?\{?secrets\.                       # GitHub Actions ${{ secrets.X }}
      | ^\(\(.*\)\)$                             # ((password)) Concourse vars
      | ^[A-Za-z_][\w.]*\(.*\)$                  # get_secret("db"): a call in code
      | ^[A-Za-z_]\w*(?:\.\w+)*\.(?:[A-Z][A-Z0-9_]*|\w*(?:pass|pw|secret)\w*)$  # settings.DB_PW
    )""",
    re.VERBOSE,
)
# `" + pw + "`, `' + password`, `"" + x`: the string was built in code.
_CONCAT_RE = re.compile(
    r"""['"]\s*\+\s*[\w(]|[\w)\]]\s*\+\s*['"]|^\s*\+\s*\w|\s\.\s*\$\w|['"]\s*\.\s*\$"""
)
# Already hidden by a logger, CI system or the author.
_MASK_RE = re.compile(
    r"""^(
        [*•●·#]{3,} | x{3,} | X{3,} | \.{3,} | … | -{3,} | _{3,} | 0{6,}
      | \[?(MASKED|REDACTED|HIDDEN|FILTERED|SECRET|REMOVED|OMITTED|CENSORED)\]?
      | <(MASKED|REDACTED|HIDDEN|FILTERED|SECRET|REMOVED|OMITTED)>
      | \(?(hidden|redacted|masked|omitted|not\ shown)\)?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_PLACEHOLDERS = frozenset(
    """
    password passwd pass pwd passw0rd password1 password123 your_password yourpassword
    your-password your_db_password db_password dbpassword database_password mypassword my_password
    mysecretpassword mysecret my_secret secret secrets changeme change_me change-me changeit
    example sample test testing dummy fake placeholder xxx todo tbd none null nil undefined
    redacted masked hidden foo bar foobar baz qux pw pw1 passwort contraseña motdepasse
    user_password userpassword postgres_password pgpassword pg_password new_password
    newpassword old_password oldpassword some_password somepassword insert_password_here
    enter_password password_here secret_password supersecret super_secret s3cret s3cr3t
    your_strong_password strongpassword strong_password mypass my_pass p@ssw0rd p@ssword
    pa55word pa55w0rd passw0rd! password! 123456 12345678 1234 abc123 qwerty letmein
    true false yes no on off required optional string value str text
    tiger scott pword topsecret top_secret
    """.split()
)
# Letters and separators around a password-ish word, no digits: `db_password`, `PG_PASS`,
# `your-secret-here`, `POSTGRES_PASSWORD` (a variable name written where its value belongs).
_WORDY_RE = re.compile(
    r"^[a-z_.\- ]*pass(?:wor[dt]|wd|phrase)[a-z_.\- ]*$"
    r"|^(?:[a-z]+[_.\- ])*(?:pwd|pw|pass|secret|passwd)(?:[_.\- ][a-z]+)*$",
    re.IGNORECASE,
)
_PROSE_RE = re.compile(r"^(your|my|the|some|enter|insert|put)[-_ ][a-z_\- ]*$", re.IGNORECASE)

_LOCAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "db",
        "postgres",
        "postgresql",
        "pg",
        "database",
        "host.docker.internal",
        "docker",
        "pgbouncer",
    }
)
# Host names that only ever appear in documentation and samples.
_DOC_HOSTS = frozenset(
    """
    host hostname somehost myhost yourhost your-host your_host dbhost db-host db_host pghost
    server servername your-server myserver someserver example remotehost remote-host
    your-db-host your.host.com host.com hostname.com
    """.split()
)
_DOC_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_DOC_DOMAINS = ("example.com", "example.net", "example.org")


def is_empty(c: Candidate) -> bool:
    """No password at all, or only whitespace."""
    return not (c.parsed.password or "").strip()


def is_template_reference(c: Candidate) -> bool:
    """`${DB_PASSWORD}`, `$PGPASSWORD`, `{{ .Values.x }}`, `%(password)s`, `<password>`,
    f-string fields, `%s`, and strings built with `+`: a reference, not a value."""
    pw = c.parsed.password or ""
    return _TEMPLATE_RE.search(pw) is not None or _CONCAT_RE.search(pw) is not None


def is_masked(c: Candidate) -> bool:
    """`***`, `****`, `[REDACTED]`, `xxxxx`, `[MASKED]`, `[FILTERED]`: already hidden by a
    logger, CI system or author; a value with a run of three `*` is a partial mask."""
    pw = (c.parsed.password or "").strip()
    return _MASK_RE.match(pw) is not None or "***" in pw


def is_placeholder(c: Candidate) -> bool:
    """Documentation placeholders: `password`, `your_password`, `changeme`, `secret`,
    `db_password`, `POSTGRES_PASSWORD`, `<your password>`…"""
    pw = (c.parsed.password or "").strip().strip("'\"")
    low = pw.lower()
    if low in _PLACEHOLDERS or low.rstrip("!?.") in _PLACEHOLDERS:
        return True
    core = pw.rstrip("!?.")
    if len(pw) <= 64 and (_WORDY_RE.match(core) or _PROSE_RE.match(core)):
        return True
    user = (c.parsed.user or "").lower()
    # user:user and the like for generic sample users
    return bool(user) and low == user and user in {"user", "username", "admin", "test", "demo"}


def is_inline_ignored(c: Candidate) -> bool:
    """`pgsweep:ignore`, detect-secrets' `pragma: allowlist secret`, `gitleaks:allow`."""
    line = c.line_text
    return (
        "pgsweep:ignore" in line or "pragma: allowlist secret" in line or "gitleaks:allow" in line
    )


DEFAULT_FILTERS: Sequence[tuple[str, Filter]] = (
    ("empty", is_empty),
    ("template", is_template_reference),
    ("masked", is_masked),
    ("placeholder", is_placeholder),
    ("inline-ignore", is_inline_ignored),
)


def suppression_reason(
    c: Candidate, filters: Sequence[tuple[str, Filter]] = DEFAULT_FILTERS
) -> str | None:
    """The name of the first filter that drops `c`, or None to keep it."""
    for name, pred in filters:
        if pred(c):
            return name
    return None


def is_user_as_password(user: str | None, password: str | None) -> bool:
    """A password equal to its user name (`postgres:postgres`, `npgsql_tests`): a test or
    image default. Kept, at low severity."""
    return bool(user) and bool(password) and user == password


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
    """RFC 2606 / 6761 names reserved for examples, and one-letter stand-ins (`h`, `h1`):
    never a real server."""
    h = host.strip().lower().rstrip(".")
    if re.fullmatch(r"[a-z]\d?", h) or h in _DOC_HOSTS:
        return True
    return (
        h in _DOC_DOMAINS
        or h.endswith(tuple("." + d for d in _DOC_DOMAINS))
        or h.endswith(_DOC_SUFFIXES)
    )


def is_local_only(hosts: Sequence[str]) -> bool:
    """Every host is local or a documentation name (no host at all is not local)."""
    return bool(hosts) and all(is_local_host(h) or is_documentation_host(h) for h in hosts)
