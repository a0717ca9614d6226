"""Load the labelled corpus (tests/corpus/*.yml) and judge what a scan reports for a case.

Each file holds a `provenance` line and a list of `cases`. A case names the file its text
is scanned under and exactly one expectation:

- `expect: {password, user?, host?, severity?}`: a literal password that must be found
  (with that user, host and severity when given; `host` is the finding's host list joined
  by commas, `""` for none), and read once: another finding on its line, by its rule,
  that shares its secret, user or hosts but reads the rest otherwise fails the case;
- `placeholder: true`: a value that cannot be a real secret; it may be reported, only at
  severity `info`;
- `negative: true`: nothing may be reported at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from pgsweep.core.models import Finding, Severity

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
_CASE_KEYS = {"id", "source", "file", "text", "expect", "placeholder", "negative"}
_EXPECT_KEYS = {"password", "user", "host", "severity"}


class CorpusError(ValueError):
    """A corpus file that does not follow the format."""


@dataclass(frozen=True)
class Expect:
    password: str
    user: str | None = None
    host: str | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    file: str
    text: str
    origin: str  # the corpus file that holds the case
    expect: Expect | None = None
    placeholder: bool = False
    negative: bool = False

    @property
    def kind(self) -> str:
        return "positive" if self.expect else "placeholder" if self.placeholder else "negative"

    @property
    def name(self) -> str:
        return PurePosixPath(self.file).name

    @property
    def path(self) -> str:
        return f"/corpus/{self.file.lstrip('/')}"


def _case(raw: object, origin: str) -> Case:
    if not isinstance(raw, dict):
        raise CorpusError(f"{origin}: a case is not a mapping: {raw!r:.60}")
    cid = raw.get("id")
    unknown = set(raw) - _CASE_KEYS
    if not isinstance(cid, str) or not cid or unknown:
        raise CorpusError(f"{origin}: case {cid!r}: bad id or unknown keys {sorted(unknown)}")
    for key in ("source", "file", "text"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CorpusError(f"{origin}: case {cid}: `{key}` must be a non-empty string")
    kinds = [k for k in ("expect", "placeholder", "negative") if raw.get(k)]
    if len(kinds) != 1:
        raise CorpusError(f"{origin}: case {cid}: needs exactly one of expect/placeholder/negative")
    expect = None
    if "expect" in raw:
        e = raw["expect"]
        if (
            not isinstance(e, dict) or set(e) - _EXPECT_KEYS
            or not isinstance(e.get("password"), str) or not e["password"]
        ):
            raise CorpusError(f"{origin}: case {cid}: expect needs a password (user/host optional)")
        for key in ("user", "host", "severity"):
            if key in e and not isinstance(e[key], str):
                raise CorpusError(f"{origin}: case {cid}: expect.{key} must be a string")
        severity = Severity.parse(e["severity"]) if "severity" in e else None
        expect = Expect(e["password"], e.get("user"), e.get("host"), severity)
    return Case(
        id=cid, source=raw["source"], file=raw["file"], text=raw["text"], origin=origin,
        expect=expect, placeholder=raw.get("placeholder") is True,
        negative=raw.get("negative") is True,
    )


def load(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every case of every corpus file, ids unique across the corpus."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("provenance"), str):
            raise CorpusError(f"{path.name}: needs a `provenance` string and a `cases` list")
        if not isinstance(doc.get("cases"), list) or set(doc) - {"provenance", "cases"}:
            raise CorpusError(f"{path.name}: needs a `cases` list and nothing else")
        cases += [_case(raw, path.name) for raw in doc["cases"]]
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            raise CorpusError(f"{c.origin}: duplicate case id {c.id}")
        seen.add(c.id)
    return cases


def judge(case: Case, findings: Sequence[Finding]) -> str | None:
    """None when the findings meet the case's expectation, else what is wrong (no secret
    of a finding is ever quoted: only rules, severities and redacted forms)."""
    def show(fs: Sequence[Finding]) -> str:
        return "; ".join(
            f"{f.rule} line {f.line} {f.severity} user={f.user} host={f.host}" for f in fs
        ) or "nothing"

    if case.negative:
        return None if not findings else f"negative reported: {show(findings)}"
    if case.placeholder:
        loud = [f for f in findings if f.severity > Severity.INFO]
        return None if not loud else f"placeholder reported above info: {show(loud)}"
    assert case.expect is not None
    e = case.expect
    same_secret = [f for f in findings if f.secret == e.password]
    if not same_secret:
        return f"password not found; reported: {show(findings)}"
    for f in same_secret:
        if (
            (e.user is None or f.user == e.user)
            and (e.host is None or (f.host or "") == e.host)
            and (e.severity is None or f.severity == e.severity)
        ):
            misread = [g for g in findings if g.line == f.line and g.rule == f.rule
                       and (g.secret, g.user, g.hosts) != (f.secret, f.user, f.hosts)
                       and (g.secret == f.secret or g.user == f.user or g.hosts == f.hosts)]
            return None if not misread else f"the credential read twice: {show(misread)}"
    return f"password found with another user/host/severity: {show(same_secret)}"
