"""Secrets over the network: what a remote worker finds comes back sealed to the coordinator.

The store key never leaves the coordinator. A remote task runs with a one-off key made on
the worker; the worker seals every secret it finds with that key (AES-GCM, bound to the
credential id, as the store does) and wraps the one-off key to the coordinator's public key
for this audit (X25519, HKDF-SHA256, AES-GCM). The coordinator unwraps it, opens each
secret and seals it again with the store key. So neither a secret nor the store key
crosses the wire in the clear, whatever the transport.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pgsweep.fleet.interface import AuditTask, FleetError, RepoResult, Worker
from pgsweep.store.keys import NONCE_BYTES, StoreKey
from pgsweep.store.sealed import SealedSecret, seal

_INFO = b"pgsweep/fleet/wire/v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True)
class Wrapped:
    """A key wrapped to one recipient: the sender's one-off public key, nonce, ciphertext."""

    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=_INFO).derive(shared)


def wrap(data: bytes, recipient: bytes) -> Wrapped:
    """`data` readable only by the holder of the private key of `recipient` (raw X25519)."""
    mine = X25519PrivateKey.generate()
    ephemeral = mine.public_key().public_bytes(*_RAW)
    kek = _kek(mine.exchange(X25519PublicKey.from_public_bytes(recipient)), ephemeral, recipient)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return Wrapped(ephemeral, nonce, AESGCM(kek).encrypt(nonce, data, _INFO))


class Opener:
    """The coordinator's key pair for one audit; only its public half is ever sent."""

    def __init__(self) -> None:
        self._private = X25519PrivateKey.generate()
        self.recipient = self._private.public_key().public_bytes(*_RAW)

    def open(self, wrapped: Wrapped) -> bytes | None:
        """What `wrap` sealed to this opener; None when it was not (or was altered)."""
        try:
            peer = X25519PublicKey.from_public_bytes(wrapped.ephemeral)
            kek = _kek(self._private.exchange(peer), wrapped.ephemeral, self.recipient)
            return AESGCM(kek).decrypt(wrapped.nonce, wrapped.ciphertext, _INFO)
        except (InvalidTag, ValueError):
            return None


@dataclass(frozen=True)
class WireResult:
    """A task's result as it crosses the network: its secrets sealed with a one-off key,
    and that key wrapped to the coordinator."""

    result: RepoResult
    key: Wrapped


def without_key(task: AuditTask) -> AuditTask:
    """`task` as it may leave the coordinator: a random key that seals nothing in place of
    the store key, and one process per task."""
    return replace(task, key=StoreKey.from_master(secrets.token_bytes(32), origin="unused"),
                   settings=replace(task.settings, jobs=1))


def run_sealed(task: AuditTask, recipient: bytes, worker: Worker) -> WireResult:
    """On a worker: run `task` with a one-off key (secrets kept, so the coordinator can seal
    them again) and wrap that key to `recipient`."""
    master = secrets.token_bytes(32)
    one_off = StoreKey.from_master(master, origin="one-off")
    result = worker(replace(task, key=one_off, keep_secrets=True))
    return WireResult(result, wrap(master, recipient))


def unseal(wire: WireResult, opener: Opener, task: AuditTask) -> RepoResult:
    """On the coordinator: the result with each secret sealed with `task.key` (the store
    key) as `task.keep_secrets` asks, as if the worker had held that key."""
    master = opener.open(wire.key)
    if master is None:
        raise FleetError(f"{task.repository}: a worker's result was not sealed to this audit")
    one_off = StoreKey.from_master(master, origin="one-off")
    sealed: list[SealedSecret] = []
    for s in wire.result.sealed:
        if s.ciphertext is None:  # sealed without ciphertext: only an empty secret is
            secret = "" if s.secret_hash == one_off.keyed_hash("") else None
        else:
            secret = one_off.decrypt(s.ciphertext, s.credential_id)
        if secret is None:
            raise FleetError(f"{task.repository}: a worker's sealed secret does not open")
        sealed.append(seal(task.key, s.credential_id, secret, keep=task.keep_secrets))
    return replace(wire.result, sealed=tuple(sealed))
