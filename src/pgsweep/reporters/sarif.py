"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers; never carries a secret."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

from pgsweep.models import Finding, GitProvenance, Severity, provenance_path
from pgsweep.reporters.interface import Report
from pgsweep.signatures import Signature

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# partialFingerprints keys: code scanning tracks an alert across commits by these.
CREDENTIAL_FINGERPRINT = "pgsweepCredential/v1"
OCCURRENCE_FINGERPRINT = "pgsweepOccurrence/v1"

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


def _rule(sig: Signature) -> dict[str, Any]:
    refs = "".join(f"\n- {r}" for r in sig.references)
    help_text = f"{sig.description}\n\nRotate the leaked password, then remove it from history."
    help_md = (
        f"**{sig.name}** (`{sig.id}`)\n\n{sig.description}\n\n"
        "Rotate the leaked password first (removing it from history does not un-leak it), "
        "then remove it from the code and history."
        + (f"\n\nReferences:{refs}" if refs else "")
    )
    rule: dict[str, Any] = {
        "id": sig.id,
        "name": _rule_name(sig.id, sig.name),
        "shortDescription": {"text": sig.name},
        "fullDescription": {"text": sig.description},
        "help": {"text": help_text + (f"\n\nReferences:{refs}" if refs else ""),
                 "markdown": help_md},
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
        "help": {"text": "A PostgreSQL password was found. Rotate it, then remove it."},
        "properties": {"tags": ["security", "secret", "postgresql"]},
    }


def _artifact(path: str) -> dict[str, Any]:
    """Relative paths resolve against %SRCROOT% (the checkout); absolute ones become file URIs."""
    if path.startswith("/") or _WINDOWS_DRIVE.match(path):
        return {"uri": Path(path).as_uri()}
    uri = PurePosixPath(path.replace("\\", "/")).as_posix()
    return {"uri": quote(uri, safe="/!$&'()*+,;=:@-._~"), "uriBaseId": "%SRCROOT%"}


def _message(f: Finding, rule_name: str) -> str:
    who = f.user or "an unknown user"
    where = f.host or "an unspecified host"
    return (
        f"{rule_name}: {f.kind} for {who} on {where} (credential {f.credential}). "
        "Rotate this password, then remove it."
    )


def _result(f: Finding, rule_index: int, rule_name: str, severity: Severity) -> dict[str, Any]:
    p = f.provenance
    path = provenance_path(p) or "<unknown>"
    git = p if isinstance(p, GitProvenance) else None
    occurrence = hashlib.sha256(f"{f.credential}\x1f{f.rule}\x1f{path}".encode(
        "utf-8", "surrogatepass")).hexdigest()[:32]
    props: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[severity],
        "severity": str(severity),
        "signatureSeverity": str(f.severity),
        "kind": str(f.kind),
        "source": p.kind,
        "credential": f.credential,
        "fingerprint": f.fingerprint,
        "findingId": f.id,
    }
    for key, value in (("user", f.user), ("host", f.host), ("port", f.port),
                       ("database", f.database)):
        if value:
            props[key] = value
    if git is not None:
        facts: tuple[tuple[str, object], ...] = (
            ("commit", git.commit), ("blob", git.blob), ("author", git.author),
            ("date", git.date), ("presentAtHead", git.present_at_head),
        )
        props.update((k, v) for k, v in facts if v is not None)
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[severity],
        "message": {"text": _message(f, rule_name)},
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
            OCCURRENCE_FINGERPRINT: occurrence,
        },
        "properties": props,
    }


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log as plain data: one rule per signature, one result per finding."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    for sig in report.signatures:
        index[sig.id] = len(rules)
        names[sig.id] = sig.name
        rules.append(_rule(sig))
    for f in report.findings:
        if f.rule not in index:
            index[f.rule] = len(rules)
            names[f.rule] = f"PostgreSQL credential ({f.rule})"
            rules.append(_fallback_rule(f.rule))
    results = [
        _result(f, index[f.rule], names[f.rule], report.severity_of(f.credential) or f.severity)
        for f in report.findings
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
        "properties": {
            "stats": {
                "chunks": report.stats.chunks,
                "bytes": report.stats.bytes,
                "findings": len(report.findings),
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
        json.dump(sarif_document(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
