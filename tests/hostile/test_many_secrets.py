"""Masking secrets in the fields of a plan stays linear in the number of secrets."""

from __future__ import annotations

from hang import no_hang

from pgsweep.assess.locations import Scrubber
from pgsweep.findings.scrub import MARK


def test_twenty_thousand_secrets_masked_in_twenty_thousand_fields() -> None:
    secrets = [f"Pw{i:06d}-x{i * 7919 % 100000:05d}" for i in range(20_000)]
    scrub = Scrubber(secrets)
    fields = [f"/srv/app-{i}/{secrets[i]}/config.yml" for i in range(20_000)]
    with no_hang("masking 20,000 fields against 20,000 secrets"):
        masked = [scrub(f) for f in fields]
    assert masked[:2] == [f"/srv/app-0/{MARK}/config.yml", f"/srv/app-1/{MARK}/config.yml"]
    assert all(MARK in m for m in masked)
