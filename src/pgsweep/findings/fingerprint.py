"""Identify secrets across runs without revealing them: slow or keyed hashes, redaction."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from pgsweep.core.display import printable
from pgsweep.core.evolve import evolve
from pgsweep.core.models import CredentialId, Finding, FindingId, place_key

# scrypt cost: ~30 ms and 16 MiB per distinct secret, cached per run. A fixed salt keeps
# fingerprints equal on every machine (baselines are shared between laptops and CI); set
# PGSWEEP_FINGERPRINT_KEY to make them keyed (HMAC) instead, as a team secret.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT = b"pgsweep/fingerprint/v1"
KEY_ENV = "PGSWEEP_FINGERPRINT_KEY"


@lru_cache(maxsize=65536)
def _fingerprint(secret: str, key: bytes | None) -> str:
    material = secret.encode("utf-8", "surrogatepass")
    if key:
        digest = hmac.new(key, material, hashlib.sha256).digest()
    else:
        digest = hashlib.scrypt(material, salt=SALT, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return digest.hex()[:32]


def fingerprint(secret: str) -> str:
    """A stable, non-reversible id of a secret (scrypt with a fixed salt, or keyed HMAC)."""
    key = os.environ.get(KEY_ENV)
    return _fingerprint(secret, key.encode() if key else None)


# A stand-in for the fingerprint while findings travel between the worker processes of one
# scan: fast, and never shown (`seal` replaces it before the scan returns). Each secret's
# scrypt is then computed once per scan, not once per worker that meets it.
_PROVISIONAL = "~"


def provisional_fingerprint(secret: str) -> str:
    """A per-scan stand-in for `fingerprint(secret)`; `seal` turns it into the real one."""
    material = b"pgsweep/provisional\x1f" + secret.encode("utf-8", "surrogatepass")
    return _PROVISIONAL + hashlib.sha256(material).hexdigest()[:31]


def fingerprints(secrets: Iterable[str], meanwhile: Callable[[], object] = lambda: None,
                 ) -> dict[str, str]:
    """`fingerprint` of each distinct secret, derived on every core at once (scrypt runs
    outside the interpreter lock), while `meanwhile` runs in this thread."""
    distinct = list(dict.fromkeys(secrets))
    with ThreadPoolExecutor(max_workers=max(1, min(len(distinct), os.cpu_count() or 1))) as pool:
        derived = [pool.submit(fingerprint, s) for s in distinct]
        meanwhile()
        return {s: d.result() for s, d in zip(distinct, derived, strict=True)}


def seal(findings: Iterable[Finding],
         attribute: Callable[[Sequence[Finding]], list[Finding]] = list) -> list[Finding]:
    """Findings with provisional fingerprints given their real fingerprint, credential id
    and finding id (each secret's fingerprint computed once). `attribute` (the source's)
    runs on the findings while their fingerprints are derived, and its result is sealed."""
    pending = list(findings)
    found: list[Finding] = []
    fps = fingerprints((f.secret for f in pending if f.fingerprint.startswith(_PROVISIONAL)),
                       meanwhile=lambda: found.extend(attribute(pending)))
    findings = found
    ids: dict[tuple[str, str | None, tuple[str, ...]], tuple[str, CredentialId]] = {}
    out = []
    for f in findings:
        if not f.fingerprint.startswith(_PROVISIONAL):
            out.append(f)
            continue
        key = (f.secret, f.user, f.hosts)
        if key not in ids:
            fp = fps[f.secret]
            ids[key] = (fp, credential_id(fp, f.user, f.hosts))
        fp, cid = ids[key]
        out.append(evolve(
            f, fingerprint=fp, credential=cid,
            id=finding_id(cid, f.rule, place_key(f.provenance), f.line)))
    return out


def credential_id(fp: str, user: str | None, hosts: tuple[str, ...]) -> CredentialId:
    """Content-addressed: the secret's fingerprint, the user and the host set."""
    parts = "\x1f".join([fp, user or "", *sorted(h.lower() for h in hosts)])
    digest = hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()
    return CredentialId("c" + digest[:15])


def finding_id(cred: CredentialId, rule: str, where: str, line: int) -> FindingId:
    parts = "\x1f".join([cred, rule, where, str(line)])
    return FindingId("f" + hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()[:15])


def redact(secret: str) -> str:
    """`Xk…7z (12 chars)`: enough to recognise a secret you know, not to learn one.

    12 characters or more show the first two and last two, 8 to 11 the first and last,
    fewer none. A shown character that is an undecodable byte or a control character is
    escaped (`\\xff`); an undecodable byte counts as one character.
    """
    n = len(secret)
    if n >= 12:
        shown = f"{printable(secret[:2])}…{printable(secret[-2:])}"
    elif n >= 8:
        shown = f"{printable(secret[0])}…{printable(secret[-1])}"
    else:
        shown = "…"
    return f"{shown} ({n} chars)"


_LENGTH = re.compile(r"\((\d+) chars\)$")


def secret_length(redacted: str) -> int | None:
    """The length a `redact` preview states, or None for text that is not one."""
    m = _LENGTH.search(redacted)
    return int(m.group(1)) if m else None
