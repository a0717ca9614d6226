"""Real libpq's PQconninfoParse through ctypes, for differential tests (None if absent)."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest


class _Option(ctypes.Structure):
    _fields_ = [
        ("keyword", ctypes.c_char_p),
        ("envvar", ctypes.c_char_p),
        ("compiled", ctypes.c_char_p),
        ("val", ctypes.c_char_p),
        ("label", ctypes.c_char_p),
        ("dispchar", ctypes.c_char_p),
        ("dispsize", ctypes.c_int),
    ]


def _load() -> ctypes.CDLL | None:
    for name in ("libpq.so.5", ctypes.util.find_library("pq")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.PQconninfoParse.restype = ctypes.POINTER(_Option)
        lib.PQconninfoParse.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
        lib.PQconninfoFree.argtypes = [ctypes.POINTER(_Option)]
        lib.PQfreemem.argtypes = [ctypes.c_void_p]
        return lib
    return None


LIBPQ = _load()


class LibpqError(ValueError):
    """libpq refused the string."""


def conninfo_parse(text: str) -> dict[str, str]:
    """The options libpq reads from a conninfo string or URI (only those with a value)."""
    assert LIBPQ is not None
    err = ctypes.c_char_p()
    opts = LIBPQ.PQconninfoParse(text.encode("utf-8", "surrogateescape"), ctypes.byref(err))
    if not opts:
        msg = err.value.decode("utf-8", "replace") if err.value else "error"
        if err.value:
            LIBPQ.PQfreemem(ctypes.cast(err, ctypes.c_void_p))
        raise LibpqError(msg.strip())
    out: dict[str, str] = {}
    i = 0
    while opts[i].keyword is not None:
        if opts[i].val is not None:
            out[opts[i].keyword.decode()] = opts[i].val.decode("utf-8", "surrogateescape")
        i += 1
    LIBPQ.PQconninfoFree(opts)
    return out


@pytest.fixture
def libpq_present() -> None:
    """The tests that compare with libpq itself need it: `make test` installs it."""
    assert LIBPQ is not None, "libpq.so.5 is not installed (make test installs libpq5)"
