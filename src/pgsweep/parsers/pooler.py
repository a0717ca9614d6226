"""Connection poolers' own password files: PgBouncer `userlist.txt`, Pgpool-II `pool_passwd`
and `pcp.conf`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pgsweep.core.models import ParsedCredential, SecretKind
from pgsweep.parsers.sql import kind_of

_MD5_HEX_RE = re.compile(r"[0-9a-f]{32}")


def parse_userlist(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """`"user" "secret"`: a doubled `""` is one quote; an `md5…` or SCRAM secret is a hash."""
    password = match.group("password").replace('""', '"')
    return ParsedCredential(password=password, user=match.group("user").replace('""', '"'),
                            kind=kind_of(password))


def parse_pool_passwd(match: re.Match[str],
                      fields: Mapping[str, str]) -> ParsedCredential | None:
    """`user:secret`: `md5…` is a hash, `TEXT…` (or no prefix) a plaintext password, and
    `AES…` is encrypted with the `.pgpoolkey` (not a password without that key)."""
    secret = match.group("password")
    if secret.startswith("AES"):
        return None
    secret = secret.removeprefix("TEXT")
    return ParsedCredential(password=secret, user=match.group("user"), kind=kind_of(secret))


def parse_pcp(match: re.Match[str], fields: Mapping[str, str]) -> ParsedCredential | None:
    """`user:md5hex`, the unsalted md5 of the PCP user's password: a hash (crackable)."""
    secret = match.group("password")
    if _MD5_HEX_RE.fullmatch(secret) is None:
        return None
    return ParsedCredential(password=secret, user=match.group("user"),
                            kind=SecretKind.PASSWORD_HASH)
