"""Check leaked passwords against a server's SCRAM-SHA-256 / md5 verifiers, with no network.

A verifier file only speaks for the server it was exported from. Bound to that server
(`Server`, from `--verifiers-host HOST[:PORT]`), it judges the credentials of that server:
`live` or `rotated`. Unbound, a match still proves the password works somewhere (`valid`),
but a mismatch proves nothing about the credential's own server (`unconfirmed`).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pgsweep.core.models import SecretKind
from pgsweep.verify.interface import (
    Status,
    Target,
    VerificationResult,
    VerifyError,
    result,
)
from pgsweep.verify.saslprep import password_bytes, saslprep_pg

METHOD = "offline"
DEFAULT_PORT = 5432
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
# A role name is at most 63 bytes and a verifier a few hundred: a longer line is no row.
# Names are bounded and each separator is taken atomically, so a row costs linear time.
_MAX_ROW = 1024
_ROW_RE = re.compile(
    rf"^\s*+(?P<name>.{{1,256}}?)(?>\s*[|,\t ]\s*)(?P<pw>{_VERIFIER})\s*+(?:\|\s*+)?$")
_EMPTY_ROW_RE = re.compile(
    r"^\s*+(?P<name>[^|,\t]{1,256}?)(?>\s*[|,\t])\s*+(?:(?:\\N|NULL)\s*+)?$")
_HEADER_NAMES = {"rolname", "usename", "role", "passwd", "rolpassword"}


class VerifierFileError(VerifyError):
    """The verifier file could not be read or holds no role at all."""


class ServerSpecError(VerifyError):
    """A `--verifiers-host` value is not HOST[:PORT]."""


Endpoint = tuple[str, int]


def normalise_host(host: str) -> str:
    """A host as names compare: lower case, no trailing dot or brackets, IPs in one form."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True)
class Server:
    """The server a verifier file was exported from: each name it goes by, with its port."""

    endpoints: frozenset[Endpoint]

    def __str__(self) -> str:
        return ", ".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}"
                         for h, p in sorted(self.endpoints))

    @classmethod
    def parse(cls, specs: Sequence[str]) -> Server:
        """From `HOST[:PORT]` values (`[v6]:PORT` or a bare IPv6 address); port 5432 by default."""
        endpoints: set[Endpoint] = set()
        for spec in specs:
            text = spec.strip()
            host, port = text, None
            if text.startswith("["):
                host, _, rest = text[1:].partition("]")
                if rest and not rest.startswith(":"):
                    raise ServerSpecError(f"--verifiers-host {spec!r}: expected [ADDRESS]:PORT")
                port = rest[1:] if rest else None
            elif text.count(":") == 1:
                host, port = text.split(":")
            if not host or (port is not None and not (port.isdigit() and 0 < int(port) < 65536)):
                raise ServerSpecError(f"--verifiers-host {spec!r}: expected HOST[:PORT]")
            endpoints.add((normalise_host(host), int(port) if port else DEFAULT_PORT))
        if not endpoints:
            raise ServerSpecError("--verifiers-host: no server given")
        return cls(frozenset(endpoints))


def endpoints_of(target: Target) -> list[Endpoint | None]:
    """The (host, port) pairs a credential connects to, as libpq pairs its host and port
    lists; None for a host whose port is not a number. A unix socket is never an endpoint."""
    out: list[Endpoint | None] = []
    ports = target.ports
    for i, host in enumerate(target.hosts):
        if not host or host.startswith(("/", "@")):
            continue
        text = ports[i] if i < len(ports) else (ports[0] if len(ports) == 1 else "")
        text = text.strip()
        if text and not text.isdigit():
            out.append(None)
            continue
        out.append((normalise_host(host), int(text) if text else DEFAULT_PORT))
    return out


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
        if len(line) > _MAX_ROW:
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

    salted = PBKDF2-HMAC-SHA256(SASLprep(pw), salt, iter);
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


def judge(target: Target, verifiers: Mapping[str, str | None]) -> VerificationResult:
    """One leaked credential against the verifiers, as if they were of its own server."""
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


def check(
    target: Target, verifiers: Mapping[str, str | None], server: Server | None = None
) -> VerificationResult:
    """The offline status of one leaked credential against a verifier file of `server`.

    Only a file bound to the credential's server says `rotated`, and only when it covers
    every host of the credential; a credential of another server is not judged at all.
    """
    covered: list[bool] = []
    if server is not None:
        covered = [e in server.endpoints for e in endpoints_of(target)]
        if not any(covered):
            return result(target, METHOD, Status.SKIPPED,
                          reason=f"not a credential of the verifier file's server ({server})")
    verdict = judge(target, verifiers)
    if verdict.status not in (Status.LIVE, Status.ROTATED):
        return verdict
    detail = dict(verdict.detail)
    status: Status = verdict.status
    if server is None:
        status = Status.VALID if status is Status.LIVE else Status.UNCONFIRMED
        detail["reason"] = (
            "matches a verifier file not bound to a server: the password works there"
            if status is Status.VALID else
            "no match in a verifier file not bound to a server (--verifiers-host HOST[:PORT])"
        )
    else:
        detail["server"] = str(server)
        if status is Status.ROTATED and not all(covered):
            status = Status.UNCONFIRMED
            detail["reason"] = "no match, but the credential's other hosts are not this server"
    return result(target, METHOD, status, **detail)


class OfflineVerifier:
    """Checks each target against one verifier file's roles, of `server` when it is known."""

    method = METHOD

    def __init__(self, verifiers: Mapping[str, str | None], server: Server | None = None) -> None:
        self.verifiers = dict(verifiers)
        self.server = server

    @classmethod
    def from_file(cls, path: Path, server: Server | None = None) -> OfflineVerifier:
        return cls(read_verifiers(path), server)

    def verify(self, targets: Sequence[Target]) -> list[VerificationResult]:
        return [check(t, self.verifiers, self.server) for t in targets]
