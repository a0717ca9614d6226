"""The database under a store, whichever engine holds it: statements, transactions, errors.

A store is one SQLite file (the default) or one PostgreSQL database shared by a team. Both
run the same statements, written once in SQLite's dialect with `?` placeholders; the
PostgreSQL side adapts the few spellings that differ. Writers take turns: a write
transaction holds the whole store's write lock until it commits, so two processes
recording the same credential never race.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from pgsweep.store.errors import StoreError

StoreLocation = str | Path  # a SQLite file, or a postgresql:// URL
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: StoreLocation | None) -> bool:
    """Whether `location` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location[:13].lower().startswith(URL_SCHEMES)


class Rows(Protocol):
    """What a statement returns: its rows, one by one or all at once."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(ABC):
    """One open connection to a store's database; safe to share between threads."""

    dialect: str  # "sqlite" or "postgresql"

    def __init__(self, name: str) -> None:
        self.name = name  # names the store in messages; never holds a password
        self._lock = threading.RLock()
        self._writing = 0

    # ------------------------------------------------------------------ statements
    def execute(self, sql: str, args: Sequence[object] = ()) -> Rows:
        """Run one statement. A failure outside a transaction is one StoreError line; inside
        one, the transaction rolls back and reports it."""
        with self._lock:
            try:
                return self._execute(sql, args)
            except self._driver_errors() as exc:
                if self._writing:
                    raise
                raise StoreError(
                    f"{self.name}: cannot read the findings store ({self.describe(exc)})"
                ) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement per row (inside a transaction)."""
        with self._lock:
            self._executemany(sql, list(rows))

    def insert(self, sql: str, args: Sequence[object] = ()) -> int:
        """Run an INSERT into a table with an `id` key; returns the new row's id."""
        with self._lock:
            return self._insert(sql, args)

    def transaction(self) -> Transaction:
        """BEGIN … COMMIT holding the store's write lock, or ROLLBACK on any exception."""
        return Transaction(self)

    # ------------------------------------------------------------------ values
    def text(self, value: str | None) -> object:
        """A text column's value for `value`, kept lossless (undecodable bytes included)."""
        return value

    def untext(self, value: object) -> str | None:
        """The text `text()` stored."""
        return None if value is None else str(value)

    # ------------------------------------------------------------------ engine
    @abstractmethod
    def table_names(self) -> set[str]:
        """The tables of the store's schema."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def describe(self, exc: BaseException) -> str:
        """A driver error as one line that holds no password."""

    @abstractmethod
    def _driver_errors(self) -> tuple[type[BaseException], ...]: ...

    @abstractmethod
    def _execute(self, sql: str, args: Sequence[object]) -> Rows: ...

    @abstractmethod
    def _executemany(self, sql: str, rows: list[Sequence[object]]) -> None: ...

    @abstractmethod
    def _insert(self, sql: str, args: Sequence[object]) -> int: ...

    @abstractmethod
    def _begin(self) -> None:
        """Start a transaction that holds the store's write lock."""

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None:
        """Roll back the transaction under way, if one is."""


class Transaction:
    """One write transaction; a failure of the engine becomes one StoreError naming the store."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _error(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"{self._db.name}: cannot write the findings store ({self._db.describe(exc)})")

    def __enter__(self) -> None:
        db = self._db
        db._lock.acquire()
        try:
            db._begin()
        except db._driver_errors() as exc:
            db._lock.release()
            raise self._error(exc) from None
        except BaseException:
            db._lock.release()
            raise
        db._writing += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        db = self._db
        errors = db._driver_errors()
        db._writing -= 1
        try:
            if exc_type is None:
                db._commit()
            else:
                db._rollback()
        except errors as failure:
            if exc is None or isinstance(exc, errors):
                raise self._error(failure) from None
        finally:
            db._lock.release()
        if isinstance(exc, errors):
            raise self._error(exc) from None
