"""A detect-secrets plugin that runs pgsweep's signatures and filters over each line.

Use it with `detect-secrets scan --plugin <path of this file>` (and the same `--plugin`
for `detect-secrets-hook`); pgsweep must be installed in detect-secrets' environment.
detect-secrets hands plugins one line at a time, so forms that span lines (a YAML block
with `user:` and `password:` keys, a multi-line DSN) are found only by `pgsweep scan`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin

from pgsweep.core.models import Chunk, FileProvenance, Finding, ScanStats, Severity

if TYPE_CHECKING:
    from pgsweep.findings.pipeline import Scanner

# A persisted id: detect-secrets baselines store it in every result; never change it.
SECRET_TYPE = "PostgreSQL credential (pgsweep)"


@lru_cache(maxsize=1)
def _scanner() -> Scanner:
    """One scanner per process: detect-secrets may build its plugins more than once."""
    from pgsweep.detectors import signatures
    from pgsweep.findings.pipeline import Scanner

    return Scanner(signatures.load())


class PgsweepDetector(BasePlugin):
    """detect-secrets' view of pgsweep: one PotentialSecret per password found on a line."""

    secret_type = SECRET_TYPE

    def iter_findings(self, filename: str, line: str) -> Iterator[Finding]:
        """Findings above `info`: detect-secrets has no severities, and placeholder-like
        values are not secrets to audit."""
        chunk = Chunk(line.encode("utf-8", "surrogateescape"), FileProvenance(path=filename))
        for f in _scanner().scan_chunk(chunk, ScanStats()):
            if f.severity > Severity.INFO:
                yield f

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        """The passwords on one line (detect-secrets' `scan --string` uses this)."""
        for f in self.iter_findings("", string):
            yield f.secret

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: Any = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        return {
            PotentialSecret(
                type=self.secret_type,
                filename=filename,
                secret=f.secret,
                line_number=line_number,
            )
            for f in self.iter_findings(filename, line)
        }
