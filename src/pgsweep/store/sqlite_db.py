"""A store in one SQLite file: a private file, WAL journal, writers wait their turn."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from pgsweep.store import codec
from pgsweep.store.backend import Database, Rows
from pgsweep.store.errors import StoreError

# How long a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT_MS = 30_000


class SqliteDatabase(Database):
    """A SQLite file opened in autocommit mode; transactions are BEGIN IMMEDIATE."""

    dialect = "sqlite"

    def __init__(
        self, conn: sqlite3.Connection, path: Path, read_only_cause: str | None = None
    ) -> None:
        super().__init__(str(path))
        self._conn = conn
        self.path = path
        self._read_only_cause = read_only_cause

    @classmethod
    def open(cls, path: Path, *, create: bool) -> SqliteDatabase:
        """Open the file at `path` (created 0600 when `create`), refusing what is not a store."""
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no findings store here (run pgsweep scan first)")
            _create_private_file(path)
        elif not path.is_file():  # a folder, FIFO or device: SQLite would fail or block
            raise StoreError(f"{path}: not a findings store (not a regular file)")
        try:
            return cls(_connect(path), path)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorname != "SQLITE_CANTOPEN":
                raise StoreError(f"{path}: not a usable findings store ({exc})") from None
            cause = str(exc)  # a WAL store in a folder we cannot write: read it as it is
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable findings store ({exc})") from None
        try:
            return cls(_connect(path, read_only=True), path, read_only_cause=cause)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable findings store ({exc})") from None

    def check(self) -> None:
        """A damaged store is refused when opened, not found out when a scan is recorded."""
        rows = self._conn.execute("PRAGMA quick_check(1)").fetchall()
        if [tuple(r) for r in rows] != [("ok",)]:
            raise StoreError(
                f"{self.path}: the findings store is damaged (SQLite quick_check failed); "
                "restore it from a copy or remove it")

    def table_names(self) -> set[str]:
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(r[0]) for r in rows}

    def close(self) -> None:
        self._conn.close()

    def describe(self, exc: BaseException) -> str:
        return str(exc)  # SQLite's messages quote no row data

    def text(self, value: str | None) -> object:
        return codec.dump_text(value)

    def untext(self, value: object) -> str | None:
        if value is None or isinstance(value, str | bytes):
            return codec.load_text(value)
        return str(value)

    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def _execute(self, sql: str, args: Sequence[object]) -> Rows:
        return self._conn.execute(sql, args)

    def _executemany(self, sql: str, rows: list[Sequence[object]]) -> None:
        self._conn.executemany(sql, rows)

    def _insert(self, sql: str, args: Sequence[object]) -> int:
        return int(self._conn.execute(sql, args).lastrowid or 0)

    def _begin(self) -> None:
        if self._read_only_cause is not None:
            raise sqlite3.OperationalError(self._read_only_cause)
        self._conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection that has read the schema; `read_only` reads the file as it is on disk
    (a folder nobody can write holds no writer to wait for)."""
    try:
        if read_only:
            uri = f"{path.resolve().as_uri()}?immutable=1"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store ({exc})") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        if not read_only:
            _use_wal(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Readers do not wait for a writer (and a writer not for readers) in WAL mode. A file
    that cannot be written keeps its journal mode; writing to it fails later, clearly."""
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        # A commit survives pgsweep crashing; a power cut may lose the last commits (not
        # the store): WAL's documented trade for one sync per checkpoint, not per commit.
        conn.execute("PRAGMA synchronous = NORMAL")


def _create_private_file(path: Path) -> None:
    """An empty 0600 file (in a 0700 dir when we create it): the store lists hosts and users."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):  # created meanwhile by another pgsweep
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror or exc})") from None
