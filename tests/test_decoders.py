"""Decoders: Secret data, JSON escapes and HTML entities become derived chunks with line maps."""

from __future__ import annotations

import base64

from conftest import make_password

from pgsweep.core.models import Chunk, FileProvenance, ScanStats
from pgsweep.detectors import signatures
from pgsweep.detectors.decoders import iter_decoded
from pgsweep.findings.pipeline import Scanner


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def chunk(text: str, path: str = "x.yaml") -> Chunk:
    return Chunk(text.encode(), FileProvenance(path=path))


def test_secret_data_is_decoded_in_place_with_line_map() -> None:
    pw = make_password()
    pgpass = f"pg-rw:5432:app:app:{pw}\nreplica:5432:app:app:{pw}"
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pg-app\n"
        f"data:\n  password: {b64(pw)}\n  pgpass: {b64(pgpass)}\n  junk: '!!'\ntype: Opaque\n"
    )
    (derived,) = list(iter_decoded(chunk(text)))
    assert derived.decoded
    assert derived.data.decode().split("\n")[4:11] == [
        "stringData:",
        f"  password: {pw}",
        "  pgpass: |",
        f"    pg-rw:5432:app:app:{pw}",
        f"    replica:5432:app:app:{pw}",
        "  junk: '!!'",
        "type: Opaque",
    ]
    assert derived.line_map is not None
    assert derived.line_map[4:11] == (5, 6, 7, 7, 7, 8, 9)


def test_not_a_secret_is_not_base64_decoded() -> None:
    text = f"kind: ConfigMap\ndata:\n  password: {b64('Xq9-mm2Lp')}\n"
    assert list(iter_decoded(chunk(text))) == []


def test_json_escapes_are_undone_and_newlines_mapped() -> None:
    text = '{"cmd": "line1\\npostgres:\\/\\/u:p@h.test\\/db?a=1\\u0026b=2"}\n{"x": 1}'
    (derived,) = list(iter_decoded(chunk(text, "x.json")))
    assert derived.data.decode() == '{"cmd": "line1\npostgres://u:p@h.test/db?a=1&b=2"}\n{"x": 1}'
    assert derived.line_map == (1, 1, 2)


def test_html_entities_are_undone() -> None:
    text = '<add connectionString="Host=h;Password=&quot;a;b&quot;" url="jdbc:x?a=1&amp;b=2"/>'
    (derived,) = list(iter_decoded(chunk(text, "web.config")))
    assert (
        derived.data.decode()
        == '<add connectionString="Host=h;Password="a;b"" url="jdbc:x?a=1&b=2"/>'
    )


def test_plain_text_yields_nothing_and_derived_chunks_are_final() -> None:
    assert list(iter_decoded(chunk("just words\n"))) == []
    c = Chunk(b'{"a": "postgres:\\/\\/x"}', FileProvenance(path="a.json"), decoded=True)
    assert list(iter_decoded(c)) == []


def test_last_applied_configuration_secret_is_decoded() -> None:
    pw = make_password()
    inner = (
        f'{{"apiVersion":"v1","data":{{"password":"{b64(pw)}"}},"kind":"Secret",'
        '"metadata":{"name":"orders-postgres"}}'
    )
    escaped = inner.replace('"', '\\"')
    text = (
        "kind: Secret\nmetadata:\n  name: orders-postgres\n  annotations:\n"
        f'    kubectl.kubernetes.io/last-applied-configuration: "{escaped}"\n'
        "stringData:\n  user: orders\n"
    )
    sigs = [s for s in signatures.load() if s.id == "pg.k8s.1"]
    findings = Scanner(sigs).scan_chunk(chunk(text), ScanStats())
    assert [(f.rule, f.line, f.secret) for f in findings] == [("pg.k8s.1", 5, pw)]
