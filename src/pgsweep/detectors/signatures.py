"""Load signature files (detector data) from `signatures/` and validate their shape."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pgsweep.core.errors import PgsweepError
from pgsweep.core.models import RuleId, SecretKind, Severity
from pgsweep.detectors import backtracking, match_gate, sigcache
from pgsweep.parsers import PARSERS

ID_RE = re.compile(r"^pg\.[a-z0-9_]+\.[0-9]+$")
REQUIRED = ("id", "name", "description", "pattern", "severity", "examples", "negative_examples")
KNOWN = set(REQUIRED) | {
    "keywords", "parser", "fields", "kind", "window", "paths", "references", "aliases", "flags",
    "sources", "fallback", "readers", "handed",
}
# A handed form is read by a reader from fields, not matched in text: these keys it has.
HANDED_REQUIRED = ("id", "name", "description", "severity", "handed")
PROVENANCE_KINDS = frozenset({
    "git", "file", "ci-log", "history", "desktop", "chat", "mail", "image", "process"})
FIELD_NAMES = {"password", "user", "host", "port", "database"}


class SignatureError(PgsweepError):
    """A signature file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Example:
    """One embedded example: text, and for positives the fields a finding must carry."""

    text: str
    expect: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None  # pretend the text came from this path (path-scoped forms)
    note: str = ""


@dataclass(frozen=True)
class Signature:
    """One detector form. Its regexes compile on first use: a scan that never comes near a
    signature's keywords never pays for compiling it."""

    id: RuleId
    name: str
    description: str
    keywords: tuple[bytes, ...]
    pattern: str  # compiled with re.MULTILINE as `regex`
    parser: str  # a parser name from pgsweep.parsers, or "fields"
    fields: Mapping[str, str]
    kind: SecretKind
    severity: Severity
    lines_before: int
    lines_after: int
    path_pattern: str | None  # compiled as `paths`
    sources: frozenset[str] | None  # provenance kinds it runs on; None: every kind
    examples: tuple[Example, ...]
    negative_examples: tuple[Example, ...]
    references: tuple[str, ...]
    aliases: tuple[str, ...]
    source: str
    fallback: bool = False  # yields to another signature's candidate with the same line and secret
    # readers whose chunks a path-scoped form also reads, whatever the path (the file that
    # PGPASSFILE names is a .pgpass of any name)
    readers: frozenset[str] = frozenset()
    # read by a reader from the fields of its format (`HandedCredential`), never matched
    handed: bool = False
    # lower-case literals one of which every match of the regex contains (`match_gate`);
    # a window holding none of them is not searched. Empty: every window is.
    gate: tuple[bytes, ...] = ()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.MULTILINE)

    @cached_property
    def paths(self) -> re.Pattern[str] | None:
        return re.compile(self.path_pattern) if self.path_pattern else None

    def runs_on(self, kind: str) -> bool:
        """Whether the signature runs on chunks of this provenance kind (git, file…)."""
        return self.sources is None or kind in self.sources

    def applies_to(self, path: str | None, reader: str | None = None) -> bool:
        """Path-scoped signatures run only on matching paths, or on chunks of their readers."""
        paths = self.paths
        if paths is None or (reader is not None and reader in self.readers):
            return True
        return path is not None and paths.search(path) is not None


def default_dir() -> Path:
    """The signatures shipped with pgsweep: in the wheel, or at the source tree's top."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (here / "_signatures", here.parents[1] / "signatures"):
        if candidate.is_dir():
            return candidate
    raise SignatureError(f"no signatures directory found near {here}")


def _examples(raw: Any, where: str, what: str) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise SignatureError(f"{where}: {what} must be a non-empty list")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(Example(text=item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            unknown = set(item) - {"text", "expect", "path", "note"}
            if unknown:
                raise SignatureError(f"{where}: {what}[{i}] has unknown keys {sorted(unknown)}")
            out.append(
                Example(
                    text=item["text"],
                    expect=dict(item.get("expect") or {}),
                    path=item.get("path"),
                    note=str(item.get("note", "")),
                )
            )
        else:
            raise SignatureError(f"{where}: {what}[{i}] must be a string or a mapping with text")
    return tuple(out)


def _check_keys(data: Mapping[str, Any], where: str) -> None:
    if not isinstance(data, Mapping):
        raise SignatureError(f"{where}: not a mapping")
    required = HANDED_REQUIRED if data.get("handed") else REQUIRED
    missing = [k for k in required if k not in data]
    if missing:
        raise SignatureError(f"{where}: missing keys {missing}")
    unknown = set(data) - KNOWN
    if unknown:
        raise SignatureError(f"{where}: unknown keys {sorted(unknown)}")
    if not ID_RE.match(str(data["id"])):
        raise SignatureError(f"{where}: id {str(data['id'])!r} is not of the form pg.<family>.<n>")


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    """The pattern, compiled, when it cannot take superlinear time."""
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise SignatureError(f"{where}: pattern does not compile: {exc}") from None
    slow = backtracking.problems(regex.pattern, regex.flags)
    if slow:
        raise SignatureError(f"{where}: pattern can take superlinear time: {slow[0]}")
    return regex


def _check_parser(parser: str, fields: Mapping[str, str], regex: re.Pattern[str],
                  where: str) -> None:
    """A named parser exists; the `fields` parser maps known fields to the pattern's groups."""
    if parser != "fields":
        if parser not in PARSERS:
            raise SignatureError(f"{where}: unknown parser {parser!r} (have {sorted(PARSERS)})")
        return
    if "password" not in fields:
        raise SignatureError(f"{where}: parser 'fields' needs fields.password")
    bad = set(fields) - FIELD_NAMES
    if bad:
        raise SignatureError(f"{where}: unknown fields {sorted(bad)}")
    for group in fields.values():
        if group not in regex.groupindex:
            raise SignatureError(f"{where}: pattern has no group named {group!r}")


def parse_signature(data: Mapping[str, Any], where: str) -> Signature:
    """Validate one signature mapping (its regexes compile, and cannot backtrack)."""
    _check_keys(data, where)
    if data.get("handed"):
        return _handed_signature(data, where)
    sid = str(data["id"])
    regex = _compile(str(data["pattern"]), where)
    parser = str(data.get("parser", "fields"))
    fields = {str(k): str(v) for k, v in (data.get("fields") or {}).items()}
    _check_parser(parser, fields, regex, where)
    keywords = tuple(str(k).lower().encode() for k in data.get("keywords") or ())
    paths_raw = data.get("paths")
    paths = str(paths_raw) if paths_raw else None
    if paths is not None:
        try:
            re.compile(paths)
        except re.error as exc:
            raise SignatureError(f"{where}: paths do not compile: {exc}") from None
    sources_raw = data.get("sources")
    sources = frozenset(str(k) for k in sources_raw) if sources_raw else None
    unknown_sources = (sources or frozenset()) - PROVENANCE_KINDS
    if unknown_sources:
        raise SignatureError(f"{where}: unknown sources {sorted(unknown_sources)}")
    if not keywords and paths is None:
        raise SignatureError(f"{where}: needs keywords, or paths for a path-scoped form")
    window = data.get("window") or {}
    try:
        severity = Severity.parse(str(data["severity"]))
        kind = SecretKind(str(data.get("kind", "password")))
    except ValueError as exc:
        raise SignatureError(f"{where}: {exc}") from None
    return Signature(
        id=RuleId(sid),
        name=str(data["name"]),
        description=str(data["description"]).strip(),
        keywords=keywords,
        pattern=regex.pattern,
        parser=parser,
        fields=fields,
        kind=kind,
        severity=severity,
        lines_before=int(window.get("before", 0)),
        lines_after=int(window.get("after", 0)),
        path_pattern=paths,
        sources=sources,
        examples=_examples(data["examples"], where, "examples"),
        negative_examples=_examples(data["negative_examples"], where, "negative_examples"),
        references=tuple(str(r) for r in data.get("references") or ()),
        aliases=tuple(str(a) for a in data.get("aliases") or ()),
        source=where,
        fallback=bool(data.get("fallback", False)),
        readers=frozenset(str(r) for r in data.get("readers") or ()),
        gate=match_gate.required_literals(regex.pattern, re.MULTILINE),
    )


def _handed_signature(data: Mapping[str, Any], where: str) -> Signature:
    """A form its reader hands over as fields: no pattern, keywords or examples to check
    (the reader's tests hold its cases); only the rule's identity and severity."""
    extra = set(data) - set(HANDED_REQUIRED) - {"kind", "references", "aliases", "sources"}
    if extra:
        raise SignatureError(f"{where}: a handed form has no {sorted(extra)}")
    try:
        severity = Severity.parse(str(data["severity"]))
        kind = SecretKind(str(data.get("kind", "password")))
    except ValueError as exc:
        raise SignatureError(f"{where}: {exc}") from None
    sources_raw = data.get("sources")
    return Signature(
        id=RuleId(str(data["id"])), name=str(data["name"]),
        description=str(data["description"]).strip(), keywords=(), pattern="(?!)",
        parser="fields", fields={}, kind=kind, severity=severity, lines_before=0,
        lines_after=0, path_pattern=None,
        sources=frozenset(map(str, sources_raw)) if sources_raw else None,
        examples=(), negative_examples=(),
        references=tuple(str(r) for r in data.get("references") or ()),
        aliases=tuple(str(a) for a in data.get("aliases") or ()), source=where, handed=True,
    )


def _yaml() -> Any:
    """PyYAML, imported when a signature file is parsed: with the signatures cached
    (`sigcache`), a command never needs it (its import costs ~15 ms)."""
    import yaml

    return yaml


def load_file(path: Path, text: str | None = None) -> list[Signature]:
    """A file holds one signature mapping, or a list of them under `signatures:`."""
    yaml = _yaml()
    # libyaml's safe loader when PyYAML was built with it: 0.27 s -> 0.03 s for the shipped
    # signatures
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8") if text is None else text,
                        Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SignatureError(f"{path}: cannot read: {exc}".splitlines()[0]) from None
    if isinstance(raw, Mapping) and "signatures" in raw:
        items = raw["signatures"]
        return [parse_signature(item, f"{path.name}#{i}") for i, item in enumerate(items)]
    return [parse_signature(raw, path.name)]


def files(dirs: Iterable[Path] | None = None) -> list[Path]:
    """The signature files `load` reads, in order: the shipped ones, then each extra folder's."""
    folders = [default_dir()]
    for extra in dirs or ():
        # `pgsweep signatures check signatures/` names the shipped folder itself
        if extra.is_dir() and any(extra.resolve() == f.resolve() for f in folders):
            continue
        folders.append(extra)
    out: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise SignatureError(f"{folder}: not a directory")
        out += sorted(folder.glob("*.y*ml"))
    return out


def load(dirs: Iterable[Path] | None = None) -> list[Signature]:
    """Every signature in the shipped directory and any extra ones; ids must be unique.

    Checked signatures are kept in the user cache dir (`sigcache`), keyed by every file's
    bytes, and read from there while no file changes.
    """
    paths = files(dirs)
    contents: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            contents.append((path, path.read_bytes()))
        except OSError as exc:
            raise SignatureError(f"{path}: cannot read: {exc}".splitlines()[0]) from None
    entry = sigcache.key("signatures", [(str(p), data) for p, data in contents])
    cached = sigcache.read_json(entry)
    if cached is not None:
        try:
            return [from_record(r) for r in cached]
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a damaged entry: read the files again and replace it
    out: list[Signature] = []
    seen: dict[str, str] = {}
    for path, data in contents:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SignatureError(f"{path}: cannot read: {exc}") from None
        for sig in load_file(path, text):
            for name in (sig.id, *sig.aliases):
                if name in seen:
                    raise SignatureError(
                        f"{sig.source}: id {name} already used by {seen[name]}")
                seen[name] = sig.source
            out.append(sig)
    sigcache.write_json(entry, [to_record(s) for s in out])
    return out


def to_record(sig: Signature) -> dict[str, Any]:
    """A checked signature as plain JSON data (`from_record` rebuilds it unchanged)."""
    return {
        "id": sig.id, "name": sig.name, "description": sig.description,
        "keywords": [k.decode("utf-8", "surrogateescape") for k in sig.keywords],
        "pattern": sig.pattern, "parser": sig.parser, "fields": dict(sig.fields),
        "kind": str(sig.kind), "severity": str(sig.severity),
        "lines_before": sig.lines_before, "lines_after": sig.lines_after,
        "path_pattern": sig.path_pattern,
        "sources": sorted(sig.sources) if sig.sources is not None else None,
        "examples": [_example_record(e) for e in sig.examples],
        "negative_examples": [_example_record(e) for e in sig.negative_examples],
        "references": list(sig.references), "aliases": list(sig.aliases),
        "source": sig.source, "fallback": sig.fallback, "readers": sorted(sig.readers),
        "handed": sig.handed,
        "gate": [g.decode("ascii") for g in sig.gate],
    }


def from_record(r: Mapping[str, Any]) -> Signature:
    return Signature(
        id=RuleId(str(r["id"])), name=str(r["name"]), description=str(r["description"]),
        keywords=tuple(str(k).encode("utf-8", "surrogateescape") for k in r["keywords"]),
        pattern=str(r["pattern"]), parser=str(r["parser"]),
        fields={str(k): str(v) for k, v in r["fields"].items()},
        kind=SecretKind(r["kind"]), severity=Severity.parse(str(r["severity"])),
        lines_before=int(r["lines_before"]), lines_after=int(r["lines_after"]),
        path_pattern=None if r["path_pattern"] is None else str(r["path_pattern"]),
        sources=None if r["sources"] is None else frozenset(map(str, r["sources"])),
        examples=tuple(_example(e) for e in r["examples"]),
        negative_examples=tuple(_example(e) for e in r["negative_examples"]),
        references=tuple(map(str, r["references"])), aliases=tuple(map(str, r["aliases"])),
        source=str(r["source"]), fallback=bool(r["fallback"]),
        readers=frozenset(map(str, r["readers"])), handed=bool(r.get("handed", False)),
        gate=tuple(str(g).encode("ascii") for g in r.get("gate", ())),
    )


def _example_record(e: Example) -> dict[str, Any]:
    return {"text": e.text, "expect": dict(e.expect), "path": e.path, "note": e.note}


def _example(r: Mapping[str, Any]) -> Example:
    return Example(text=str(r["text"]), expect=dict(r["expect"]),
                   path=None if r["path"] is None else str(r["path"]), note=str(r["note"]))
