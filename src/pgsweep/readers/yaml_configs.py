"""YAML configs (docker-compose, Kubernetes manifests, Helm values, CI variables)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeGuard

from pgsweep.core.models import Chunk, Skipped
from pgsweep.readers.envgroups import (
    ENV_FAMILIES,
    Assignment,
    has_postgres_hint,
    synthesize,
)
from pgsweep.readers.interface import FileInfo
from pgsweep.readers.normalise import LineMappedText, decode_text, file_provenance, split_lines
from pgsweep.readers.text import text_chunk, where_of

if TYPE_CHECKING:
    import yaml

# The pure-Python YAML composer is slow: bigger files are scanned as plain text.
MAX_YAML_BYTES = 2 * 1024 * 1024
# Node visits allowed when walking one document for settings: linear in its size. A
# document that needs more (aliases of aliases) is skipped; its text is still scanned.
VISITS_BASE = 1000
VISITS_PER_BYTE = 16
_ENV_ITEM_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_COMPOSE_NAME_RE = re.compile(r"^(docker-)?compose[\w.-]*\.ya?ml$")
_VALUES_NAME_RE = re.compile(r"^values[\w.-]*\.ya?ml$")
# A compose service that runs PostgreSQL: its image (postgres, bitnami/postgresql, postgis,
# timescaledb, pgvector, spilo), or the name of a service built from a Dockerfile
_PG_SERVICE_RE = re.compile(r"(?i)postgres|postgis|timescale|pgvector|spilo|\bpg|\bdb\b|database")

Scope = tuple[list[Assignment], str | None]  # the settings of a mapping, compose's host


# A composed node's kind is its class's `id` ("scalar", "sequence", "mapping"), so walking
# needs no yaml import: yaml loads when a YAML file is read, not with every scan (start-up
# time).
def _is_scalar(node: yaml.Node | None) -> TypeGuard[yaml.ScalarNode]:
    return node is not None and getattr(node, "id", None) == "scalar"


def _is_mapping(node: yaml.Node | None) -> TypeGuard[yaml.MappingNode]:
    return node is not None and getattr(node, "id", None) == "mapping"


def _is_sequence(node: yaml.Node | None) -> TypeGuard[yaml.SequenceNode]:
    return node is not None and getattr(node, "id", None) == "sequence"


def _scalar(node: yaml.Node | None) -> str | None:
    if _is_scalar(node) and isinstance(node.value, str):
        return node.value
    return None


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    if _is_mapping(node):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        for k, v in pairs:
            if _scalar(k) == key:
                return v
    return None


def _assignments_of(node: yaml.Node) -> list[Assignment]:
    """Settings held by a mapping, a `KEY=VALUE` list, or a Kubernetes `env:` list."""
    out: list[Assignment] = []
    if _is_mapping(node):
        for k, v in node.value:
            key, value = _scalar(k), _scalar(v)
            if key is not None and value is not None:
                out.append(Assignment(key, value, v.start_mark.line + 1))
    elif _is_sequence(node):
        for item in node.value:
            text = _scalar(item)
            if text is not None:
                m = _ENV_ITEM_RE.match(text)
                if m:
                    out.append(Assignment(m.group(1), m.group(2), item.start_mark.line + 1))
                continue
            name, value_node = _scalar(_get(item, "name")), _get(item, "value")
            value = _scalar(value_node)
            if name is not None and value is not None and value_node is not None:
                out.append(Assignment(name, value, value_node.start_mark.line + 1))
    return out


class _OverBudget(Exception):
    """A document's walk needed more node visits than its size allows."""


class _Budget:
    """Node visits left for walking one document. Aliases share nodes, so a walk that
    follows them can visit a node many times: a few hundred bytes of nested aliases
    would otherwise cost billions of visits."""

    def __init__(self, visits: int) -> None:
        self.left = visits

    def spend(self, visits: int) -> None:
        self.left -= visits
        if self.left < 0:
            raise _OverBudget


def _visit_budget(doc: yaml.Node) -> _Budget:
    return _Budget(VISITS_BASE + VISITS_PER_BYTE * (doc.end_mark.index - doc.start_mark.index))


def _service_host(name: str, service: yaml.Node) -> str | None:
    """The host a compose service's own PostgreSQL settings log in to: the service's name
    when it runs PostgreSQL (its image says so, or, built from a Dockerfile, its name
    does); an application's service holds a client's settings, whose server is elsewhere."""
    image = _scalar(_get(service, "image"))
    named = image if image is not None else name
    return name if _PG_SERVICE_RE.search(named) else None


def _iter_scopes(
    node: yaml.Node, path: tuple[str, ...], budget: _Budget, service_host: str | None = None,
) -> Iterator[Scope]:
    budget.spend(1 + len(node.value) if isinstance(node.value, list) else 1)
    assignments = _assignments_of(node)
    if assignments:
        compose_env = len(path) == 3 and path[0] == "services" and path[2] == "environment"
        yield assignments, service_host if compose_env else None
    if _is_mapping(node):
        for k, v in node.value:
            key = _scalar(k)
            if key is not None and (_is_mapping(v) or _is_sequence(v)):
                host = _service_host(key, v) if path == ("services",) else service_host
                yield from _iter_scopes(v, (*path, key), budget, host)
    elif _is_sequence(node):
        for item in node.value:
            if _is_mapping(item) or _is_sequence(item):
                yield from _iter_scopes(item, path, budget, service_host)


def _kind_of(info: FileInfo, docs: list[yaml.Node]) -> str:
    if _COMPOSE_NAME_RE.match(info.name) or any(_get(d, "services") is not None for d in docs):
        return "docker-compose"
    if any(_get(d, "apiVersion") is not None and _get(d, "kind") is not None for d in docs):
        return "kubernetes"
    if _VALUES_NAME_RE.match(info.name):
        return "helm-values"
    return "yaml"


class YamlReader:
    """Any `.yml`/`.yaml`: the text as it is, with each PGPASSWORD / POSTGRES_* setting whose
    context (user, host, database) sits in the same mapping or env list replaced by the
    joined `KEY='…'` words the environment signatures read. Helm values and Secret
    `stringData` are read by their own signatures (pg.helm.*, pg.k8s.1) from the text.

    Base64 `data:` values of Secrets are decoded by the generic decoders, not here.
    """

    name = "yaml"

    def matches(self, info: FileInfo, head: bytes) -> bool:
        return info.name.endswith((".yml", ".yaml"))

    def iter_chunks(self, info: FileInfo, data: bytes) -> Iterator[Chunk | Skipped]:
        if len(data) > MAX_YAML_BYTES:
            yield text_chunk(info, data, self.name)
            return
        # Here, not at the top, for start-up time: yaml loads when a YAML file is read.
        import yaml

        text = decode_text(data)
        try:
            docs = [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader) if d is not None]
        except (yaml.YAMLError, RecursionError, ValueError):
            yield text_chunk(info, data, self.name)  # templated or broken YAML: plain text
            return
        hint = has_postgres_hint(text)
        uris: dict[int, str] = {}
        for number, doc in enumerate(docs, start=1):
            found: dict[int, str] = {}
            try:
                for assignments, default_host in _iter_scopes(doc, (), _visit_budget(doc)):
                    found.update(synthesize(assignments, ENV_FAMILIES, hint=hint,
                                            default_host=default_host))
            except (_OverBudget, RecursionError):
                yield Skipped(
                    f"{where_of(info)} (YAML document {number})",
                    "yaml: aliases expand beyond the walk budget; its text is scanned as is",
                )
                continue
            uris.update(found)
        out = LineMappedText()
        lines = split_lines(text)
        for n, line in enumerate(lines, start=1):
            joined = uris.get(n)
            # the joined line keeps its indentation: the block it sits in bounds its context
            out.add(line if joined is None else line[: len(line) - len(line.lstrip())] + joined, n)
        yield out.keep_ignore_markers(lines).chunk(file_provenance(info, _kind_of(info, docs)))


YAML_READER = YamlReader()
