"""The verifier interface, its base error, and the values verifiers take and return."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import CredentialId, SecretKind


class VerifyError(PgsweepError):
    """Verification could not run at all (unreadable verifier file, missing driver)."""


class Status(enum.StrEnum):
    """Every verification outcome; persisted in the store and the JSON output."""

    # offline, against the current password verifiers of the credential's own server
    LIVE = "live"  # the leaked password still matches the verifier
    ROTATED = "rotated"  # it does not: the password was changed
    NO_VERIFIER = "no-verifier"  # the role (or its password) is not in the verifier file
    # offline, against a verifier file not bound to the credential's server
    UNCONFIRMED = "unconfirmed"  # no match, which proves nothing about the credential's server
    # live, by logging in; offline, a match in a file not bound to the credential's server
    VALID = "valid"  # the server accepted the password (or only the database was missing)
    INVALID = "invalid"  # 28P01: password authentication failed
    UNKNOWN = "unknown"  # anything else: network error, timeout, other SQLSTATE
    REFUSED = "refused"  # not attempted: internal address without --allow-internal
    # either
    SKIPPED = "skipped"  # nothing to check (no user, a partial password, secret not stored)

    @property
    def is_usable(self) -> bool:
        """The leaked credential still opens the database."""
        return self in (Status.LIVE, Status.VALID)


@dataclass(frozen=True)
class Target:
    """One leaked credential to verify; the secret never appears in repr or output."""

    credential: CredentialId
    user: str | None
    hosts: tuple[str, ...]
    ports: tuple[str, ...] = ()
    database: str | None = None
    sslmode: str | None = None
    kind: SecretKind = SecretKind.PASSWORD
    secret: str = field(default="", repr=False)


DetailValue = str | int | bool | None


@dataclass(frozen=True)
class VerificationResult:
    """The outcome for one credential by one method. `detail` never holds a secret."""

    credential: CredentialId
    user: str | None
    hosts: tuple[str, ...]
    method: str  # "offline" or "live"
    status: Status
    detail: Mapping[str, DetailValue] = field(default_factory=dict, hash=False)

    def record(self) -> dict[str, object]:
        """The JSON form: `{credential, user, hosts, method, status, detail}`."""
        return {
            "credential": self.credential,
            "user": self.user,
            "hosts": list(self.hosts),
            "method": self.method,
            "status": self.status.value,
            "detail": dict(self.detail),
        }


class Verifier(Protocol):
    """Checks leaked credentials; one result per target, in the targets' order."""

    method: str

    def verify(self, targets: Sequence[Target]) -> list[VerificationResult]: ...


def result(
    target: Target, method: str, status: Status, **detail: DetailValue
) -> VerificationResult:
    """A result for `target` with the given status and (secret-free) detail."""
    return VerificationResult(
        credential=target.credential,
        user=target.user,
        hosts=target.hosts,
        method=method,
        status=status,
        detail=detail,
    )
