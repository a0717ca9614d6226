"""Render verification results as the versioned JSON document or a plain terminal table."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import TextIO

from pgsweep.core.display import printable, utf8_data
from pgsweep.verify.interface import VerificationResult

VERIFY_JSON_VERSION = 1


class VerifyFormat(enum.StrEnum):
    """Every value of `pgsweep verify --format`."""

    TERMINAL = "terminal"
    JSON = "json"


def render_json(results: Sequence[VerificationResult], out: TextIO) -> None:
    """`{"version": 1, "results": [{credential, user, hosts, method, status, detail}]}`."""
    doc = {"version": VERIFY_JSON_VERSION, "results": [r.record() for r in results]}
    json.dump(utf8_data(doc), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _detail_text(r: VerificationResult) -> str:
    parts = []
    for key in ("verifier", "match", "server", "sqlstate", "reason", "host"):
        value = r.detail.get(key)
        if value:
            parts.append(printable(f"{key}={value}"))
    if r.detail.get("tls") is not None:
        parts.append(f"tls={'yes' if r.detail['tls'] else 'no'}")
    return " ".join(parts)


def render_terminal(results: Sequence[VerificationResult], out: TextIO) -> None:
    """One line per credential and method; usable ones are marked with `!`."""
    if not results:
        out.write("No credentials to verify.\n")
        return
    for r in results:
        who = printable(f"{r.user or '?'}@{','.join(r.hosts) or '(socket)'}")
        mark = "!" if r.status.is_usable else " "
        out.write(f"{mark} {r.credential}  {who:<40} {r.method:<8} {r.status.value:<12} "
                  f"{_detail_text(r)}".rstrip() + "\n")
    usable = sum(1 for r in results if r.status.is_usable)
    out.write(f"\n{usable} result(s) show a leaked credential that still works.\n")


RENDERERS = {VerifyFormat.JSON: render_json, VerifyFormat.TERMINAL: render_terminal}


def render(results: Sequence[VerificationResult], fmt: VerifyFormat, out: TextIO) -> None:
    RENDERERS[fmt](results, out)
