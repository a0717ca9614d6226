"""The literal an environment read falls back to, or a URL-encoding call encodes."""

from __future__ import annotations

import pytest

from pgsweep.detectors import signatures
from pgsweep.parsers.siblings import value as _value
from pgsweep.parsers.wrapped import WRAPPED, wrapped_literal


@pytest.mark.parametrize(
    ("raw", "literal"),
    [
        ('process.env.DB_PASSWORD || "Rk7-Wq2mTz"', '"Rk7-Wq2mTz"'),
        ("process.env['PG_PW'] ?? 'Rk7-Wq2mTz'", "'Rk7-Wq2mTz'"),
        ('import.meta.env.VITE_PW || `Rk7`', "`Rk7`"),
        ('System.getenv("DB_PASSWORD") ?: "ktor"', '"ktor"'),
        ('Environment.get("DATABASE_PASSWORD") ?? "vapor"', '"vapor"'),
        ('os.environ.get("PW") or "x1"', '"x1"'),
        ('ENV["PG_PASSWORD"] || "x2"', '"x2"'),
        ("getenv('DB_PASS') ?: 'x3'", "'x3'"),
        ('os.getenv("DB_PASSWORD", "x4")', '"x4"'),
        ('Sys.getenv("password", "aE1#m@gR")', '"aE1#m@gR"'),
        ('ENV.fetch("DB_PASSWORD", "x5")', '"x5"'),
        ("env('DB_PASSWORD', 'x6')", "'x6'"),
        ('config("DB_PASSWORD", default="x7")', '"x7"'),
        ('System.getenv().getOrDefault("DB_PASSWORD", "x8")', '"x8"'),
        ('os.environ.get("ETL_PW", "x9")', '"x9"'),
        ('env.str("DB_PASSWORD", default="x10")', '"x10"'),
        ('parse.quote("p@ss/1")', '"p@ss/1"'),
        ("urllib.parse.quote_plus('p@ss', safe='')", "'p@ss'"),
        ('encodeURIComponent("p@ss#2")', '"p@ss#2"'),
        ('url.QueryEscape("p@ss")', '"p@ss"'),
        ('URLEncoder.encode("p@ss", "UTF-8")', '"p@ss"'),
    ],
)
def test_wrapped_literal(raw: str, literal: str) -> None:
    assert wrapped_literal(raw) == literal


@pytest.mark.parametrize(
    "raw",
    [
        "process.env.DB_PASSWORD",
        "process.env.DB_PASSWORD || defaultPassword",
        'os.getenv("DB_PASSWORD")',
        'settings.get("password", "x")',
        '"plain"',
        'process.env.A || "x" + suffix',
        'hashlib.sha256("x")',
        'quote_plus(password)',
    ],
)
def test_no_wrapped_literal(raw: str) -> None:
    assert wrapped_literal(raw) is None


def test_sibling_value_reads_the_fallback() -> None:
    assert _value('process.env.DB_USER || "orm"', "js") == "orm"
    assert _value('os.getenv("PGHOST", "10.3.4.5")', "python") == "10.3.4.5"


def test_the_signature_holds_the_same_fragment() -> None:
    """pg.options.1 writes the fragment out; it must stay the parser's own."""
    sig = next(s for s in signatures.load() if s.id == "pg.options.1")
    assert WRAPPED in sig.pattern
