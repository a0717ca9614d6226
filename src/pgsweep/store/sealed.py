"""A credential's secret in the form the store keeps it, made where the secret was found:
keyed hash, ciphertext (or none), redacted preview. What crosses a process boundary."""

from __future__ import annotations

from dataclasses import dataclass

from pgsweep.findings.fingerprint import redact
from pgsweep.store.keys import StoreKey


@dataclass(frozen=True)
class SealedSecret:
    """One credential's secret, sealed with the store key `key_id` names."""

    credential_id: str
    key_id: str
    secret_hash: str  # HMAC-SHA256 under the store key
    ciphertext: bytes | None  # AES-GCM bound to the credential id; None: hashes only
    redacted: str


def seal(key: StoreKey, credential_id: str, secret: str, *, keep: bool) -> SealedSecret:
    """`secret` sealed for the store: encrypted too when `keep` (else a keyed hash only)."""
    return SealedSecret(
        credential_id=credential_id,
        key_id=key.key_id,
        secret_hash=key.keyed_hash(secret),
        ciphertext=key.encrypt(secret, credential_id) if keep and secret else None,
        redacted=redact(secret),
    )
