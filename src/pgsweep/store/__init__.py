"""The findings store: credentials, occurrences, triage, verifications, scanned tips, in one
SQLite file or a PostgreSQL database a team shares."""

from __future__ import annotations

from pgsweep.store.backend import StoreLocation, is_url
from pgsweep.store.db import Store, default_store_path
from pgsweep.store.errors import SchemaError, StoreError, StoreKeyError
from pgsweep.store.keys import KEY_ENV, default_key_path
from pgsweep.store.records import ForgetResult, TargetInfo, TriageState, VerificationRecord
from pgsweep.store.schema import SCHEMA_VERSION, TRIAGE_STATUSES
from pgsweep.store.targets import repo_key_for

__all__ = [
    "KEY_ENV",
    "SCHEMA_VERSION",
    "TRIAGE_STATUSES",
    "ForgetResult",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreKeyError",
    "StoreLocation",
    "TargetInfo",
    "TriageState",
    "VerificationRecord",
    "default_key_path",
    "default_store_path",
    "is_url",
    "repo_key_for",
]
