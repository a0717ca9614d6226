"""Pure predicates that drop references and masks and mark placeholder-like values (host
names are judged in `pgsweep.detectors.host_names`)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence

from pgsweep.core.models import Candidate, ParsedCredential
from pgsweep.detectors.host_names import (
    is_local_network_only,
    is_placeholder_host,
    is_unknown_host,
)
from pgsweep.detectors.placeholder_phrases import is_instruction_phrase
from pgsweep.detectors.templates import is_template
from pgsweep.parsers.values import CODE_NAME_RE

Filter = Callable[[Candidate], bool]

# Already hidden by a logger, CI system or the author.
_MASK_RE = re.compile(
    r"""^(
        [*•●·#]{3,} | x{3,} | X{3,} | \.{3,} | … | -{3,} | _{3,} | 0{6,}
      | \[?(MASKED|REDACTED|HIDDEN|FILTERED|REMOVED|OMITTED|CENSORED)\]?
      | \[SECRET\] | <(MASKED|REDACTED|HIDDEN|FILTERED|SECRET|REMOVED|OMITTED)>
      | \(?(hidden|redacted|masked|omitted|not\ shown)\)?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Words written where a password belongs but that describe one instead of being one.
_PLACEHOLDERS = frozenset(
    """
    password passwd pass pwd your_password yourpassword your-password your_db_password
    db_password dbpassword database_password mypassword my_password mysecretpassword secret
    secrets changeme change_me change-me changeit changethis change_this change-this replaceme
    replace_me example sample placeholder dummy fake todo tbd none null nil undefined
    redacted masked hidden user_password userpassword postgres_password pgpassword pg_password
    new_password newpassword old_password oldpassword some_password somepassword
    insert_password_here enter_password password_here secret_password your_strong_password
    strongpassword strong_password notarealpass notarealpassword not_a_real_password
    fakepassword fake_password dummypassword
    true false yes no on off required optional string value str text
    passwort kennwort geheim contraseña contrasena clave motdepasse mot_de_passe senha
    wachtwoord parola lösenord losenord salasana hasło haslo heslo jelszó şifre sifre
    пароль 密码 密碼 パスワード 비밀번호
    """.split()
)
# Values people really set that are easy to guess: on a real host a leak like any other, on
# a local or documentation host a finding at `info`.
_WEAK = frozenset(
    """
    test testing tester foo bar foobar baz qux pw pw1 pword 123456 12345678 1234 12345
    123456789 abc123 qwerty letmein tiger scott topsecret top_secret hunter2 mypass my_pass
    mysecret my_secret supersecret super_secret s3cret s3cr3t p@ssw0rd p@ssword pa55word
    pa55w0rd passw0rd passw0rd! password! password1 password123 admin root postgres welcome
    """.split()
)
# Parts of a descriptive name (`mysecretpassword`, `your-db-pass-here`, `notarealpass`):
# a value made only of these, with one password word, describes a password.
_DESCRIPTIVE = frozenset(
    """
    my your the some db database pg postgres postgresql psql sql app user users admin new old
    enter insert put here default real strong actual example sample dummy fake replace change
    me this not notareal is goes set super secret secrets secure very long random generated
    from in vault manager prod production beta staging dev development custom
    """.split()
)
_PASSWORD_WORDS = frozenset({"password", "passwd", "pass", "pwd", "pw", "passphrase",
                             "passwort", "secret", "secrets"})
_FOREIGN_RE = re.compile(
    r"^[a-z_.\- ]*(?:passwort|kennwort|contrase[ñn]a|mot_?de_?passe|senha|wachtwoord|parola"
    r"|l[öo]senord|salasana|has[łl]o|heslo|jelsz[óo])[a-z_.\- ]*$",
    re.IGNORECASE,
)
# Stand-ins that tests and docs write where a value must be: one or two letters, maybe a
# digit (`p`, `x1`, `PS`, as `h` stands for a host). Weak, but people set such values too.
_STANDIN_RE = re.compile(r"[A-Za-z]{1,2}\d?")
# Parser escape tests: punctuation alone (`\\`, `?!`) or single characters joined by it
# (`a'b`, `a\\b:c`): they exercise quoting, no one sets them.
_ESCAPE_TEST_RE = re.compile(
    r"[^A-Za-z0-9\s]{1,2}|[A-Za-z0-9](?:[^A-Za-z0-9\s]{1,4}[A-Za-z0-9]){1,3}"
)
_MD5_HASH_RE = re.compile(r"md5[0-9a-f]{32}")
# Letters and separators around a password-ish word, no digits: `db_password`, `PG_PASS`,
# `your-secret-here`, `POSTGRES_PASSWORD` (a variable name written where its value belongs).
_WORDY_RE = re.compile(
    r"^[a-z_.\- ]*pass(?:wor[dt]|wd|phrase)[a-z_.\- ]*$"
    r"|^(?:[a-z]+[_.\- ])*(?:pwd|pw|pass|secret|passwd)(?:[_.\- ][a-z]+)*$",
    re.IGNORECASE,
)
_PROSE_RE = re.compile(r"^(your|my|the|some|enter|insert|put)[-_ ][a-z_\- ]*$", re.IGNORECASE)
# A constant's name written where its value goes (`TU_PASSWORD_RAILWAY`, `PROD_DB_PASSWORD`,
# `YOUR_SECRET_KEY`): capital words of two letters or more joined by `_`, one of them a
# password word. (`PASS_A` and other one-letter parts are weak passwords people set.)
_CONSTANT_NAME_RE = re.compile(
    r"^(?:[A-Z]{2,}_)*(?:PASSWORD|PASSWD|PASS|PWD|SECRET|PASSWORT|CONTRASENA|SENHA|MOTDEPASSE)"
    r"(?:_[A-Z]{2,})*$"
)

def is_empty(c: Candidate) -> bool:
    """No password at all, or only whitespace."""
    return not (c.parsed.password or "").strip()


def is_template_reference(c: Candidate) -> bool:
    """`${DB_PASSWORD}`, `$PGPASSWORD`, `{{ .Values.x }}`, `%(password)s`, `<password>`,
    f-string fields, `%s`, strings built with `+`, a name the line calls
    (`generate_password(`), and a syntax synopsis (`postgresql://[user[:password]@][netloc]`,
    whose brackets mark optional parts): a reference, not a value."""
    pw = c.parsed.password or ""
    if is_template(pw) or is_synopsis(c.parsed):
        return True
    return CODE_NAME_RE.fullmatch(pw) is not None and (pw + "(") in c.line_text


def is_synopsis(parsed: ParsedCredential) -> bool:
    """`[user[:password]@]`: a user opening an optional part and a password closing it, as
    a syntax synopsis writes them (libpq would read the user `[user[`; no one names a role so)."""
    return (parsed.user or "").startswith("[") and (parsed.password or "").endswith("]")


def is_masked(c: Candidate) -> bool:
    """`***`, `****`, `[REDACTED]`, `xxxxx`, `[MASKED]`, `[FILTERED]`, `[SECRET]`: already
    hidden by a logger, CI system or author; a value with a run of three `*` is a partial
    mask. (A bare `secret` is a password people set in tests and samples: a placeholder.)"""
    pw = (c.parsed.password or "").strip()
    return _MASK_RE.match(pw) is not None or "***" in pw


def _describes_a_password(value: str) -> bool:
    """`mysecretpassword`, `POSTGRES_PASSWORD`, `your-db-pass-here`, `notarealpass`: only
    descriptive words and one password word (a word segmentation over a small vocabulary)."""
    letters = re.sub(r"[_.\- ]", "", value.lower())
    if not letters.isascii() or not letters.isalpha() or len(letters) > 64:
        return False
    # reach[i]: the set of "has a password word" flags over segmentations of letters[:i]
    reach: list[set[bool]] = [set() for _ in range(len(letters) + 1)]
    reach[0].add(False)
    for i in range(len(letters)):
        if not reach[i]:
            continue
        for word in _DESCRIPTIVE | _PASSWORD_WORDS:
            if letters.startswith(word, i):
                has = word in _PASSWORD_WORDS
                reach[i + len(word)].update(flag or has for flag in reach[i])
    return True in reach[len(letters)]


def is_placeholder(c: Candidate) -> bool:
    """A value that describes a password instead of being one: `password`, `your_password`,
    `changeme`, `changethis`, `secret`, `db_password`, `POSTGRES_PASSWORD`, `notarealpass`,
    `passwort`, `contraseña`… Reported at `info`, never above."""
    pw = (c.parsed.password or "").strip().strip("'\"")
    low = pw.lower()
    user = (c.parsed.user or "").lower()
    # user:user and the like for generic sample users
    if user and low == user and user in {"user", "username", "admin", "test", "demo"}:
        return True
    if low in _WEAK:
        return False  # `mypass`, `pw`: set for real, though easy to guess
    if low in _PLACEHOLDERS or low.strip("#*~").rstrip("!?.") in _PLACEHOLDERS:
        return True
    split_at_at = any("@" in h for h in c.parsed.hosts)
    if _ESCAPE_TEST_RE.fullmatch(pw) and not split_at_at:
        return True
    core = pw.rstrip("!?.")
    if len(pw) <= 64 and (
        _describes_a_password(core) or _PROSE_RE.match(core) or _FOREIGN_RE.match(core)
        or ("_" in core and _CONSTANT_NAME_RE.match(core)) or is_instruction_phrase(core)
        or is_instruction_phrase(pw)  # `!!!SET POSTGRES_PASSWORD!!!`: framed by its marks
    ):
        return True
    return is_placeholder_hash(pw, c.parsed.user)


def is_weak(c: Candidate) -> bool:
    """An easily guessed value people really set: `123456`, `test`, `tiger`, `mypass`, `pw`,
    `foobar`, `d`, `top secret`, `pass_A`, `testpassword`, the one- or two-letter stand-ins
    of tests (`p`, `x1`, `a'b`), and whatever a strength estimator guesses quickly
    (`q1w2e3`, `pizza`, `ssap`: see `is_guessable`)."""
    pw = (c.parsed.password or "").strip().strip("'\"")
    low = pw.lower()
    if low in _WEAK or low.rstrip("!?.") in _WEAK:
        return True
    # (`app:p@ss@host`: libpq's password is `p`, the rest went into the host; that is real)
    split_at_at = any("@" in h for h in c.parsed.hosts)
    if _STANDIN_RE.fullmatch(pw) and not split_at_at:
        return True
    if len(pw) <= 64 and _WORDY_RE.match(pw.rstrip("!?.")) is not None:
        return True
    return not split_at_at and is_guessable(pw)


# zxcvbn's estimate below which a password is "too guessable" or "very guessable" (its
# scores 0 and 1): keyboard walks, dictionary words and their reversals, short sequences.
GUESSABLE_BELOW = 10**6
# Longer values are never judged weak here (and zxcvbn's cost grows with the length).
GUESSABLE_MAX_LEN = 24


def _guesses(password: str) -> float:
    """zxcvbn's estimate, imported on first use: building its word lists takes ~0.15 s,
    which a scan that never judges a value on a local host (most scans) does not pay."""
    import zxcvbn

    return float(zxcvbn.zxcvbn(password)["guesses"])


@functools.lru_cache(maxsize=4096)
def is_guessable(password: str) -> bool:
    """Whether zxcvbn expects fewer than a million guesses to find the password."""
    if not password or len(password) > GUESSABLE_MAX_LEN:
        return False
    return _guesses(password) < GUESSABLE_BELOW


def is_weak_on_local_host(c: Candidate) -> bool:
    """A weak value for a local, documentation or single-label host (a name only a local
    network resolves), or for none that the text names (no host: libpq's default, the local
    socket; or a host left to code)."""
    hosts = [h for h in c.parsed.hosts if h and not is_unknown_host(h)]
    return (not hosts or is_local_network_only(hosts)) and is_weak(c)


def has_placeholder_host(c: Candidate) -> bool:
    """Some host of the candidate is a placeholder to fill in."""
    return any(is_placeholder_host(h) for h in c.parsed.hosts)


def is_placeholder_hash(value: str, user: str | None) -> bool:
    """An md5 verifier (`md5` + md5(password + user)) of a documentation placeholder, e.g.
    the verifier of `secret` for role `app`."""
    if not user or not _MD5_HASH_RE.fullmatch(value):
        return False
    digest = value[3:]
    salt = user.encode("utf-8", "surrogateescape")
    return any(
        hashlib.md5(p.encode("utf-8") + salt, usedforsecurity=False).hexdigest() == digest
        for p in _PLACEHOLDERS
    )


# Inline comments that tell a scanner to leave their line alone (pgsweep, detect-secrets,
# gitleaks). Readers that rewrite a line carry these over (readers.normalise).
IGNORE_MARKERS = ("pgsweep:ignore", "pragma: allowlist secret", "gitleaks:allow")


def ignore_marker_in(line: str) -> str | None:
    """The first inline ignore marker in `line`, or None."""
    for marker in IGNORE_MARKERS:
        if marker in line:
            return marker
    return None


def is_inline_ignored(c: Candidate) -> bool:
    """`pgsweep:ignore`, detect-secrets' `pragma: allowlist secret`, `gitleaks:allow`."""
    return ignore_marker_in(c.line_text) is not None


DEFAULT_FILTERS: Sequence[tuple[str, Filter]] = (
    ("empty", is_empty),
    ("template", is_template_reference),
    ("masked", is_masked),
    ("inline-ignore", is_inline_ignored),
)

# Values that may be passwords but are not worth an alarm: reported at `info` only.
INFO_RULES: Sequence[tuple[str, Filter]] = (
    ("placeholder", is_placeholder),
    ("placeholder-host", has_placeholder_host),
    ("weak-on-local-host", is_weak_on_local_host),
)


def suppression_reason(
    c: Candidate, filters: Sequence[tuple[str, Filter]] = DEFAULT_FILTERS
) -> str | None:
    """The name of the first filter that drops `c`, or None to keep it."""
    for name, pred in filters:
        if pred(c):
            return name
    return None


def info_reason(c: Candidate, rules: Sequence[tuple[str, Filter]] = INFO_RULES) -> str | None:
    """Why a kept candidate is reported at `info` only (a placeholder-like or weak value on
    a local host), or None for its signature's severity."""
    return suppression_reason(c, rules)


def is_user_as_password(user: str | None, password: str | None) -> bool:
    """A password equal to its user name (`postgres:postgres`, `npgsql_tests`): a test or
    image default. Kept, at low severity."""
    return bool(user) and bool(password) and user == password


def is_name_as_password(parsed: ParsedCredential) -> bool:
    """A password equal to its user or its database name (`postgres:postgres`, a
    `petclinic` database with the password `petclinic`): a test, sample or image default.
    Kept, at low severity."""
    return (is_user_as_password(parsed.user, parsed.password)
            or is_user_as_password(parsed.database, parsed.password))
