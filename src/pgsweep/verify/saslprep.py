"""SASLprep exactly as PostgreSQL applies it to SCRAM passwords (src/common/saslprep.c)."""

from __future__ import annotations

import stringprep
import unicodedata

# RFC 4013 §2.3 prohibited output (C.1.2 is mapped away first but still listed, as in PG).
_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21,
    stringprep.in_table_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


def is_prohibited(ch: str) -> bool:
    return any(table(ch) for table in _PROHIBITED)


def is_bidi_invalid(text: str) -> bool:
    """RFC 3454 §6: with any RandALCat character, no LCat and RandALCat at both ends."""
    if not any(stringprep.in_table_d1(c) for c in text):
        return False
    if any(stringprep.in_table_d2(c) for c in text):
        return True
    return not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1]))


def password_bytes(password: str) -> bytes:
    """The bytes a client sends for `password` (surrogate-escaped bytes restored)."""
    try:
        return password.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return password.encode("utf-8", "surrogatepass")  # lone surrogates: invalid UTF-8


def saslprep_pg(password: str) -> bytes:
    """The bytes PostgreSQL hashes for `password` (given as decoded text).

    1. Pure ASCII (control characters included) and invalid UTF-8 (surrogate-escaped
       bytes, lone surrogates) are used as the raw bytes.
    2. Map: C.1.2 non-ASCII spaces become U+0020, else B.1 characters are deleted.
    3. Empty after mapping: raw bytes. Otherwise NFKC.
    4. Prohibited output (C.1.2-C.9), unassigned code points (RFC 3454 A.1, Unicode 3.2) or
       a bidi violation: PostgreSQL does not reject, it uses the raw bytes. Like
       saslprep.c, these checks look at the mapped string before NFKC, not at its output.
    """
    raw = password_bytes(password)
    if password.isascii() or any("\ud800" <= c <= "\udfff" for c in password):
        return raw
    mapped = []
    for ch in password:
        if stringprep.in_table_c12(ch):
            mapped.append(" ")
        elif not stringprep.in_table_b1(ch):
            mapped.append(ch)
    if not mapped:
        return raw
    text = "".join(mapped)
    if any(is_prohibited(c) or stringprep.in_table_a1(c) for c in text):
        return raw
    if is_bidi_invalid(text):
        return raw
    return unicodedata.normalize("NFKC", text).encode("utf-8")
