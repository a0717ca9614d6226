"""Check leaked passwords against a server's SCRAM-SHA-256 / md5 verifiers, with no network."""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pgsweep.models import SecretKind
from pgsweep.verify.interface import (
    Status,
    Target,
    VerificationResult,
    VerifyError,
    result,
)
from pgsweep.verify.saslprep import password_bytes, saslprep_pg

METHOD = "offline"
# PG 16's scram_iterations tops out at INT_MAX; a verifier file is untrusted input, so a
# silly count is refused rather than spending minutes of PBKDF2 on it (default 4096).
MAX_SCRAM_ITERATIONS = 10_000_000

SCRAM_RE = re.compile(
    r"SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]{43}=):([A-Za-z0-9+/]{43}=)"
)
MD5_RE = re.compile(r"md5[0-9a-f]{32}")
_VERIFIER = r"(?:SCRAM-SHA-256\$\S+|md5[0-9a-f]{32})"
# CREATE/ALTER ROLE|USER <name> ... PASSWORD '<verifier>' (pg_dumpall --roles-only/--globals-only)
_SQL_ROLE_RE = re.compile(
    r"""^\s*(?:CREATE|ALTER)\s+(?:ROLE|USER)\s+
        (?P<name>"(?:[^"]|"")+"|[^\s;"]+)
        (?P<rest>.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
_SQL_PASSWORD_RE = re.compile(
    r"\bPASSWORD\s+(?:'(?P<pw>(?:[^']|'')*)'|(?P<null>NULL))", re.IGNORECASE
)
# rolname,rolpassword (CSV) / rolname|rolpassword (psql -A) / tab- or space-separated
_ROW_RE = re.compile(rf"^\s*(?P<name>.+?)\s*[|,\t ]\s*(?P<pw>{_VERIFIER})\s*\|?\s*$")
_EMPTY_ROW_RE = re.compile(r"^\s*(?P<name>[^|,\t]+?)\s*[|,\t]\s*(?:\\N|NULL)?\s*$")
_HEADER_NAMES = {"rolname", "usename", "role", "passwd", "rolpassword"}


class VerifierFileError(VerifyError):
    """The verifier file could not be read or holds no role at all."""


@dataclass(frozen=True)
class RoleVerifier:
    """One line about a role: its verifier (None: no password), and whether it sets it."""

    role: str
    verifier: str | None
    sets_password: bool = True


def _unquote_identifier(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name.lower()  # unquoted SQL identifiers fold to lower case


def _unquote_csv(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return next(csv.reader([name]))[0]
    return name


def iter_role_verifiers(text: str) -> Iterable[RoleVerifier]:
    """Roles found in `pg_dumpall --roles-only` output or a `rolname,rolpassword` dump."""
    for line in text.splitlines():
        m = _SQL_ROLE_RE.match(line)
        if m:
            role = _unquote_identifier(m.group("name"))
            pw = _SQL_PASSWORD_RE.search(m.group("rest"))
            if pw is None:
                yield RoleVerifier(role, None, sets_password=False)  # `CREATE ROLE x;`
            else:
                yield RoleVerifier(role, None if pw.group("null") else pw.group("pw"))
            continue
        m = _ROW_RE.match(line)
        if m:
            yield RoleVerifier(_unquote_csv(m.group("name")), m.group("pw"))
            continue
        m = _EMPTY_ROW_RE.match(line)
        if m and not line.lstrip().startswith(("-", "(", "\\", "#")):
            name = _unquote_csv(m.group("name").strip())
            if name.lower() not in _HEADER_NAMES:
                yield RoleVerifier(name, None)


def load_verifiers(text: str) -> dict[str, str | None]:
    """role → its current verifier (None: no password); later lines win, as in a dump.

    pg_dumpall writes `CREATE ROLE x;` then `ALTER ROLE x WITH … PASSWORD '…';`: a line
    without PASSWORD records the role without changing its password.
    """
    roles: dict[str, str | None] = {}
    for rv in iter_role_verifiers(text):
        if rv.sets_password or rv.role not in roles:
            roles[rv.role] = rv.verifier
    return roles


def read_verifiers(path: Path) -> dict[str, str | None]:
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise VerifierFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    roles = load_verifiers(text)
    if not roles:
        raise VerifierFileError(
            f"{path}: no roles found (expected `pg_dumpall --roles-only` output or a "
            "rolname,rolpassword dump of pg_authid)"
        )
    return roles


# --------------------------------------------------------------------------- checks
def scram_matches(verifier: str, password: str) -> tuple[bool, str | None]:
    """(matches, form): form is "saslprep" or "raw" (the UTF-8 bytes without SASLprep).

    formats.md §4.2: salted = PBKDF2-HMAC-SHA256(SASLprep(pw), salt, iter);
    StoredKey = SHA256(HMAC(salted, "Client Key")), ServerKey = HMAC(salted, "Server Key").
    Raises ValueError for a malformed verifier.
    """
    m = SCRAM_RE.fullmatch(verifier)
    if m is None:
        raise ValueError("malformed SCRAM-SHA-256 verifier")
    iterations = int(m.group(1))
    if not 1 <= iterations <= MAX_SCRAM_ITERATIONS:
        raise ValueError(f"SCRAM iteration count {iterations} out of range")
    try:
        salt = base64.b64decode(m.group(2), validate=True)
        stored_key = base64.b64decode(m.group(3), validate=True)
        server_key = base64.b64decode(m.group(4), validate=True)
    except binascii.Error:
        raise ValueError("malformed base64 in SCRAM-SHA-256 verifier") from None
    forms = {"saslprep": saslprep_pg(password)}
    raw = password_bytes(password)
    if raw != forms["saslprep"]:
        forms["raw"] = raw
    for form, material in forms.items():
        salted = hashlib.pbkdf2_hmac("sha256", material, salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        if hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key) and (
            hmac.compare_digest(hmac.new(salted, b"Server Key", hashlib.sha256).digest(),
                                server_key)
        ):
            return True, form
    return False, None


def md5_matches(verifier: str, password: str, role: str) -> bool:
    """`"md5" + md5(password || rolname)`: the role name is the salt."""
    digest = hashlib.md5(password_bytes(password) + password_bytes(role)).hexdigest()
    return hmac.compare_digest(verifier.lower(), "md5" + digest)


def check(target: Target, verifiers: Mapping[str, str | None]) -> VerificationResult:
    """The offline status of one leaked credential against the current verifiers."""
    if not target.user:
        return result(target, METHOD, Status.SKIPPED, reason="no user in the leak")
    if target.user not in verifiers:
        return result(target, METHOD, Status.NO_VERIFIER, reason="role not in the verifier file")
    verifier = verifiers[target.user]
    if verifier is None:
        return result(target, METHOD, Status.NO_VERIFIER, reason="role has no password")
    if target.kind is SecretKind.PARTIAL_PASSWORD:
        return result(target, METHOD, Status.SKIPPED, reason="only part of the password leaked")
    if not target.secret:
        return result(target, METHOD, Status.SKIPPED,
                      reason="secret not stored; verify with --scan PATH")
    scheme = "scram-sha-256" if verifier.startswith("SCRAM-SHA-256$") else (
        "md5" if MD5_RE.fullmatch(verifier) else None)
    if scheme is None:
        return result(target, METHOD, Status.NO_VERIFIER, reason="unsupported verifier format")
    if target.kind is SecretKind.PASSWORD_HASH:
        # A leaked md5 hash logs in by itself under md5 auth; a leaked SCRAM verifier lets
        # its holder impersonate the server. Either is live while the server still has it.
        same = hmac.compare_digest(target.secret.encode("utf-8", "surrogatepass"),
                                   verifier.encode())
        return result(target, METHOD, Status.LIVE if same else Status.ROTATED, verifier=scheme,
                      match="hash")
    if scheme == "md5":
        ok = md5_matches(verifier, target.secret, target.user)
        return result(target, METHOD, Status.LIVE if ok else Status.ROTATED, verifier="md5")
    try:
        ok, form = scram_matches(verifier, target.secret)
    except ValueError as exc:
        return result(target, METHOD, Status.NO_VERIFIER, reason=str(exc))
    if ok:
        return result(target, METHOD, Status.LIVE, verifier=scheme, match=form)
    return result(target, METHOD, Status.ROTATED, verifier=scheme)


class OfflineVerifier:
    """Checks each target against one verifier file's roles."""

    method = METHOD

    def __init__(self, verifiers: Mapping[str, str | None]) -> None:
        self.verifiers = dict(verifiers)

    @classmethod
    def from_file(cls, path: Path) -> OfflineVerifier:
        return cls(read_verifiers(path))

    def verify(self, targets: Sequence[Target]) -> list[VerificationResult]:
        return [check(t, self.verifiers) for t in targets]
