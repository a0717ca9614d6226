"""Store rows and back: places made absolute against the folder a scan ran in."""

from __future__ import annotations

from dataclasses import replace

from pgsweep.core.models import (
    CiLogProvenance,
    FileProvenance,
    GitProvenance,
    ProcessProvenance,
)
from pgsweep.store.codec import anchored


def test_places_are_anchored_at_the_scan_folder_and_moved_to_the_wanted_target() -> None:
    git = GitProvenance(repo=".", blob="b" * 40, path="config/db.py")
    assert anchored(git, "/src/a") == GitProvenance(repo="/src/a", blob="b" * 40,
                                                   path="config/db.py")
    assert anchored(git, "/src/a", "/src/a", "/src/fork") == replace(git, repo="/src/fork")
    assert anchored(git, "/src/a", "/src/a", "/src/a") == replace(git, repo="/src/a")
    one = FileProvenance(path="one/conf/app.ini")
    assert anchored(one, "/work").path == "/work/one/conf/app.ini"
    assert anchored(one, "/work", "/work/one", "/work/two").path == (
        "/work/two/conf/app.ini")
    assert anchored(one, "/work", "/work/one/c", "/x").path == (
        "/work/one/conf/app.ini")  # not under the scanned target: unchanged
    log = CiLogProvenance(path="/var/log/ci.log", system="plain")
    assert anchored(log, "/work") == log
    assert anchored(FileProvenance(path="<stdin>"), "/work") == FileProvenance(path="<stdin>")
    process = ProcessProvenance(pid=42, part="environ")
    assert anchored(process, "/work") == process
    assert anchored(one, None) == one  # stores older than targets
