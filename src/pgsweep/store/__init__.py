"""The embedded findings store: credentials, occurrences, triage, verifications, scanned tips."""

from __future__ import annotations

from pgsweep.store.db import (
    ForgetResult,
    Store,
    TargetInfo,
    TriageState,
    VerificationRecord,
    default_store_path,
    repo_key_for,
)
from pgsweep.store.errors import SchemaError, StoreError, StoreKeyError
from pgsweep.store.keys import KEY_ENV, default_key_path
from pgsweep.store.schema import SCHEMA_VERSION, TRIAGE_STATUSES

__all__ = [
    "KEY_ENV",
    "SCHEMA_VERSION",
    "TRIAGE_STATUSES",
    "ForgetResult",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreKeyError",
    "TargetInfo",
    "TriageState",
    "VerificationRecord",
    "default_key_path",
    "default_store_path",
    "repo_key_for",
]
