"""Decide whether a key name names a database password: `dbPassword`, `DB_PASS`,
`spring.datasource.password`, `PGPASS` do; `bypass`, `user_password`, `newPassword`,
`KEYCLOAK_ADMIN_PASSWORD` and `spring.mail.password` do not."""

from __future__ import annotations

import re

_PW_KEY_RE = re.compile(
    r"(?:[\w.$-]*[._-])?(?i:password|passwd|pass|pwd|pw)"
    r"|(?:[\w$]*[._])?[a-z][A-Za-z0-9]*(?:Password|Passwd|Pass|Pwd|Pw)"
    r"|(?i:pg|postgres|postgresql|psql|db)(?i:password|passwd|pass|pwd|pw)"
    r"|(?:[\w$]*[._])?[A-Z][a-z0-9]*(?:Password|Passwd|Pass|Pwd)"
)
_KEY_CHARS = re.compile(r"[\w.$-]{1,120}$")
_PW_TAIL_RE = re.compile(r"(?i)password|passwd|pass|pwd|pw")


# passwords of an application's own users, not of a database: `user_password` columns,
# `new_password` form fields
_APP_USER_KEY_RE = re.compile(
    r"(?i)(?:^|[._-])(?:user|new|old|current|confirm|confirmation|repeat|verify|email|"
    r"account|hashed|plain|reset)[._-]?(?:password|passwd|pass|pwd|pw)$"
)


# passwords of another service configured beside the database: Keycloak's admin, a key
# store, a mail or LDAP server (unless the key also names the database)
_FOREIGN_KEY_RE = re.compile(
    r"(?i)(?:^|[._-]|(?<=[a-z])(?=[A-Z]))(?:admin|keycloak|key[._-]?store|trust[._-]?store|"
    r"ssl|tls|mail|smtp|ldap|redis|rabbit(?:mq)?|amqp|kafka|oauth2?|jwt|token|sftp|ftp|proxy|"
    r"registry)(?:[._-]|(?=[A-Z])|(?=password|passwd|pass|pwd|pw))"
)
_DB_KEY_RE = re.compile(r"(?i)pg|postgres|db|database|datasource|sql")
# the passphrase of a client key or key store, even under the database's name: libpq's own
# `sslpassword` (`PGSSLPASSWORD`, `pgx-ssl-password`, `db.ssl.key-password`) is no login
_KEY_MATERIAL_KEY_RE = re.compile(
    r"(?i)(?:ssl|tls|key[._-]?store|trust[._-]?store|pkcs12|pfx|cert|private[._-]?key)"
)


# the environment forms' own names, read by pg.env.1 / pg.env.2 with their context
_ENV_OWNED_RE = re.compile(
    r"(?i)PGPASSWORD|POSTGRES_PASSWORD|POSTGRESQL(?:_POSTGRES|_REPLICATION)?_PASSWORD"
)


def is_foreign_key(key: str) -> bool:
    """`KEYCLOAK_ADMIN_PASSWORD`, `spring.mail.password`: a password key of another
    subject, with no word naming the database; and the passphrase of key material under
    any name (`server.ssl.key-store-password`, `PGX_SSL_PASSWORD`, `sslpassword`)."""
    return _KEY_MATERIAL_KEY_RE.search(key) is not None or (
        _FOREIGN_KEY_RE.search(key) is not None and _DB_KEY_RE.search(key) is None)


def key_names_password(key: str) -> bool:
    """`key` names a database password (`dbPassword`, `spring.datasource.password`,
    `PGPASS`, Clojure's `:db/password`), not another word ending in `pass`, an application
    user's password or another service's."""
    key = key.lstrip(":$@").rpartition("/")[2]
    return (_PW_KEY_RE.fullmatch(key) is not None and _APP_USER_KEY_RE.search(key) is None
            and not is_foreign_key(key) and not is_env_owned(key))


def is_env_owned(key: str) -> bool:
    """`PGPASSWORD`, `POSTGRES_PASSWORD` as an environment names them (pg.env.1 / pg.env.2
    read those with their context); a camelCase `pgPassword` is a code identifier."""
    return _ENV_OWNED_RE.fullmatch(key) is not None and key in (key.upper(), key.lower())


def key_at(text: str, key_end: int) -> str:
    """The whole key name that a match starting at `key_end` (on the password word) ends."""
    line_start = max(text.rfind("\n", 0, key_end) + 1, key_end - 120)
    m = _KEY_CHARS.search(text[line_start:key_end])
    prefix = m.group(0) if m else ""
    tail = _PW_TAIL_RE.match(text, key_end)
    return prefix + (tail.group(0) if tail else "")


def password_key_at(text: str, key_end: int) -> bool:
    """The whole key name that a match starting at `key_end` (on the password word) is the
    end of names a database password."""
    return key_names_password(key_at(text, key_end))


# a key whose own name says PostgreSQL: `POSTGRES_PW`, `PG_PASS`, `PGPASS`, `pgPassword`
_PG_KEY_RE = re.compile(r"(?i)(?:^|[._-])(?:pg|postgres|postgresql|psql)(?:[._-]|(?=pass|pw))")


def key_names_postgres(key: str) -> bool:
    """The password's key itself names PostgreSQL (`POSTGRES_PW`, `pg_pass`, `PGPASS`)."""
    return _PG_KEY_RE.search(key.lstrip(":$@")) is not None
