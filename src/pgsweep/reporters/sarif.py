"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers; never carries a secret."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

from pgsweep.core.display import utf8_data
from pgsweep.core.models import GitProvenance, Severity, provenance_path
from pgsweep.detectors.signatures import Signature
from pgsweep.findings.places import Place
from pgsweep.reporters.interface import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# partialFingerprints keys: code scanning tracks an alert across commits by these. Neither
# holds a line number, so an alert survives lines moving above it.
CREDENTIAL_FINGERPRINT = "pgsweepCredential/v1"
OCCURRENCE_FINGERPRINT = "pgsweepPlace/v2"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub reads `security-severity` (a number as a string) to rank alerts.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _rule_name(sig_id: str, name: str) -> str:
    """SARIF's `name` is an identifier-like string: `PostgresqlConnectionUri`."""
    words = re.findall(r"[A-Za-z0-9]+", name) or [sig_id.replace(".", "_")]
    return "".join(w[:1].upper() + w[1:] for w in words)


_WHY = (
    "Anyone who can read this file, or any clone of the repository's history, can log in to "
    "the database as this user. Deleting the line does not help: the password stays in "
    "every clone, fork and CI cache, so treat it as known to others."
)
_HOW = (
    "Rotate the password first: create a new password (or a second login role) from a "
    "secret store, deploy it to every client, then disable the leaked one "
    "(`ALTER ROLE … NOLOGIN` and a new random password). Then remove the value from the "
    "file, read it from the environment or a secret manager instead, and rewrite history "
    "if the repository is shared. `pgsweep report` prints the full, ordered steps for "
    "each credential."
)


def _help(what: str) -> tuple[str, str]:
    text = f"What leaked: {what}\n\nWhy it matters: {_WHY}\n\nHow to fix it: {_HOW}"
    md = (f"**What leaked.** {what}\n\n**Why it matters.** {_WHY}\n\n"
          f"**How to fix it.** {_HOW}")
    return text, md


def _rule(sig: Signature) -> dict[str, Any]:
    refs = "".join(f"\n- {r}" for r in sig.references)
    help_text, help_md = _help(f"a PostgreSQL password in the form: {sig.name}.")
    rule: dict[str, Any] = {
        "id": sig.id,
        "name": _rule_name(sig.id, sig.name),
        "shortDescription": {"text": sig.name},
        "fullDescription": {"text": sig.description},
        "help": {"text": help_text + (f"\n\nReferences:{refs}" if refs else ""),
                 "markdown": help_md + (f"\n\nReferences:{refs}" if refs else "")},
        "defaultConfiguration": {"level": LEVELS[sig.severity]},
        "properties": {
            "tags": ["security", "secret", "postgresql", str(sig.kind)],
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[sig.severity],
        },
    }
    if sig.references:
        rule["helpUri"] = sig.references[0]
    return rule


def _fallback_rule(rule_id: str) -> dict[str, Any]:
    """A finding whose signature the report does not carry still needs a rule entry."""
    return {
        "id": rule_id,
        "name": _rule_name(rule_id, rule_id),
        "shortDescription": {"text": f"PostgreSQL credential ({rule_id})"},
        "help": dict(zip(("text", "markdown"), _help("a PostgreSQL password."), strict=True)),
        "properties": {"tags": ["security", "secret", "postgresql"]},
    }


def _artifact(path: str) -> dict[str, Any]:
    """Relative paths resolve against %SRCROOT% (the checkout); absolute ones become file URIs."""
    if path.startswith("/") or _WINDOWS_DRIVE.match(path):
        return {"uri": Path(path).as_uri()}
    uri = PurePosixPath(path.replace("\\", "/")).as_posix()
    # an undecodable byte of the path is percent-encoded as itself (`%FF`)
    return {"uri": quote(uri, safe="/!$&'()*+,;=:@-._~", errors="surrogateescape"),
            "uriBaseId": "%SRCROOT%"}


def _message(place: Place, rule_name: str) -> str:
    f = place.finding
    who = f.user or "an unknown user"
    where = f.host or "an unspecified host"
    if place.present_at_head is False and place.commit:
        state = (" Removed from the branch tip, still in history (introduced in "
                 f"{place.commit[:12]}).")
    else:
        state = ""
    versions = f" Held by {place.versions} versions of this file." if place.versions > 1 else ""
    return (
        f"{rule_name}: {f.kind} for {who} on {where} (credential {f.credential}).{state}"
        f"{versions} Rotate this password, then remove it."
    )


def occurrence_fingerprint(place: Place) -> str:
    """The same for a credential at a path in every run, wherever its line moves."""
    path = place.path or "<unknown>"
    return hashlib.sha256(f"{place.credential}\x1f{path}".encode(
        "utf-8", "surrogatepass")).hexdigest()[:32]


def _result(place: Place, rule_index: int, rule_name: str, severity: Severity) -> dict[str, Any]:
    """One credential at one path: at the tip's line while it is still there, else at the
    line of the commit that introduced it (named in the properties)."""
    f = place.finding
    p = f.provenance
    path = provenance_path(p) or "<unknown>"
    props: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[severity],
        "severity": str(severity),
        "signatureSeverity": str(f.severity),
        "kind": str(f.kind),
        "source": p.kind,
        "credential": f.credential,
        "fingerprint": f.fingerprint,
        "findingId": place.id,
        "versions": place.versions,
    }
    for key, value in (("user", f.user), ("host", f.host), ("port", f.port),
                       ("database", f.database)):
        if value:
            props[key] = value
    if isinstance(p, GitProvenance):
        first = place.introduced.provenance
        author = first.author if isinstance(first, GitProvenance) else None
        facts: tuple[tuple[str, object], ...] = (
            ("commit", place.commit), ("author", author),
            ("date", first.date if isinstance(first, GitProvenance) else None),
            ("repository", p.repo), ("lastCommit", place.last_commit), ("blob", p.blob),
            ("presentAtHead", place.present_at_head),
        )
        props.update((k, v) for k, v in facts if v is not None)
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[severity],
        "message": {"text": _message(place, rule_name)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(path),
                    "region": {"startLine": max(f.line, 1)},
                }
            }
        ],
        "partialFingerprints": {
            CREDENTIAL_FINGERPRINT: f.credential,
            OCCURRENCE_FINGERPRINT: occurrence_fingerprint(place),
        },
        "properties": props,
    }


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log as plain data: one rule per signature, one result per credential and
    place (every version of one path is one result)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    for sig in report.signatures:
        index[sig.id] = len(rules)
        names[sig.id] = sig.name
        rules.append(_rule(sig))
    for place in report.places:
        rule = place.finding.rule
        if rule not in index:
            index[rule] = len(rules)
            names[rule] = f"PostgreSQL credential ({rule})"
            rules.append(_fallback_rule(rule))
    results = [
        _result(pl, index[pl.finding.rule], names[pl.finding.rule],
                report.severity_of(pl.credential) or pl.finding.severity)
        for pl in report.places
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool_name,
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": "pgsweep/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
        # executionSuccessful false: part of the input could not be read, so the absence
        # of a result is no proof of the absence of a leak
        "invocations": [{
            "executionSuccessful": not report.stats.incomplete,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": f"not scanned: {why}"}}
                for why in report.stats.incomplete
            ],
        }],
        "properties": {
            "stats": {
                "chunks": report.stats.chunks,
                "bytes": report.stats.bytes,
                "findings": len(report.places),
                "credentials": len(report.credentials),
                "suppressed": dict(report.stats.suppressed),
                "skipped": dict(report.stats.skipped),
            }
        },
    }
    if any(not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:")
           for r in results):
        run["originalUriBaseIds"] = {"%SRCROOT%": {"description": {
            "text": "The root of the scanned repository or folder."}}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


class SarifReporter:
    """Secrets are never written, even with --reveal: SARIF is uploaded to third parties."""

    def render(self, report: Report, out: TextIO) -> None:
        json.dump(utf8_data(sarif_document(report)), out, indent=2, ensure_ascii=False)
        out.write("\n")
