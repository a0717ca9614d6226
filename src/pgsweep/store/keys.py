"""The store's secret key: where it lives, and the encryption and keyed hashing it drives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from pgsweep.store.errors import StoreKeyError

KEY_ENV = "PGSWEEP_STORE_KEY"
KEY_FILE_NAME = "store.key"
MIN_KEY_CHARS = 16
NONCE_BYTES = 12
_KEY_CHECK = b"pgsweep/store/key-check/v1"
_MAX_KEY_FILE_BYTES = 4096  # a key file holds 44 base64 characters and a newline


def default_key_path() -> Path:
    """`store.key` in the user's config dir (XDG_CONFIG_HOME/pgsweep on Linux)."""
    return Path(platformdirs.user_config_dir("pgsweep")) / KEY_FILE_NAME


@dataclass(frozen=True)
class StoreKey:
    """Two subkeys derived from one master secret: AES-256-GCM and HMAC-SHA256."""

    origin: str  # "env" or the key file's path; never the key itself
    _enc: bytes = field(repr=False)
    _mac: bytes = field(repr=False)

    @classmethod
    def from_master(cls, master: bytes, origin: str) -> StoreKey:
        # cryptography loads where the key is used, not with every command: start-up time
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        okm = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=None, info=b"pgsweep/store/v1"
        ).derive(master)
        return cls(origin=origin, _enc=okm[:32], _mac=okm[32:])

    @property
    def key_id(self) -> str:
        """Names the key without revealing it; the store keeps it to notice a wrong key."""
        return hmac.new(self._mac, _KEY_CHECK, hashlib.sha256).hexdigest()[:32]

    def keyed_hash(self, secret: str) -> str:
        """HMAC-SHA256 of a secret: compares equal secrets, useless without the key."""
        data = secret.encode("utf-8", "surrogatepass")
        return hmac.new(self._mac, data, hashlib.sha256).hexdigest()

    def encrypt(self, secret: str, context: str) -> bytes:
        """nonce ‖ AES-GCM(secret); `context` (the credential id) is bound as associated data."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # start-up time

        nonce = secrets.token_bytes(NONCE_BYTES)
        data = secret.encode("utf-8", "surrogatepass")
        return nonce + AESGCM(self._enc).encrypt(nonce, data, context.encode())

    def decrypt(self, blob: bytes, context: str) -> str | None:
        """The secret, or None when the blob was not made by this key for this context."""
        from cryptography.exceptions import InvalidTag  # start-up time
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            data = AESGCM(self._enc).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError):
            return None
        return data.decode("utf-8", "surrogatepass")


def _from_env(value: str) -> StoreKey:
    if len(value) < MIN_KEY_CHARS:
        raise StoreKeyError(
            f"{KEY_ENV} is too short: use at least {MIN_KEY_CHARS} random characters "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return StoreKey.from_master(value.encode("utf-8"), origin=f"${KEY_ENV}")


def _read_file(path: Path) -> StoreKey:
    try:
        # Never open a FIFO, device or socket: reading one can block forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreKeyError(f"{path}: the store key is not a regular file")
            if stat.S_IMODE(st.st_mode) & 0o077:
                raise StoreKeyError(
                    f"{path}: key file is readable by others; run chmod 600 {path}")
            if st.st_size > _MAX_KEY_FILE_BYTES:
                raise StoreKeyError(f"{path}: not a pgsweep store key")
            raw = os.read(fd, _MAX_KEY_FILE_BYTES + 1)
        finally:
            os.close(fd)
        master = base64.urlsafe_b64decode(raw.decode("ascii").strip())
    except (OSError, ValueError) as exc:
        raise StoreKeyError(f"{path}: cannot read the store key ({type(exc).__name__})") from None
    if len(master) < 32:
        raise StoreKeyError(f"{path}: not a pgsweep store key")
    return StoreKey.from_master(master, origin=str(path))


def _create_file(path: Path) -> StoreKey:
    master = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_file(path)  # another process created it first
    except OSError as exc:
        raise StoreKeyError(
            f"{path}: cannot create the store key ({exc.strerror or exc})") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.urlsafe_b64encode(master).decode("ascii") + "\n")
    return StoreKey.from_master(master, origin=str(path))


def load_key(*, create: bool, key_path: Path | None = None) -> StoreKey | None:
    """$PGSWEEP_STORE_KEY, else the key file; created (0600) when `create` and absent."""
    env = os.environ.get(KEY_ENV)
    if env:
        return _from_env(env)
    path = key_path or default_key_path()
    if os.path.lexists(path):
        return _read_file(path)
    return _create_file(path) if create else None
