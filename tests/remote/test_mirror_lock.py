"""One pgsweep at a time updates a mirror: another one waits for the lock, then fetches
what the first left, so two audits sharing a cache never clash on a mirror's refs."""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import make_password
from gitrepo import GitRepo, uri

from pgsweep.remote.mirror import locked, mirror
from pgsweep.remote.urls import mirror_name, parse


def test_an_update_waits_for_the_mirror_lock(tmp_path: Path, password: str) -> None:
    work = GitRepo(tmp_path / "work")
    work.write(".env", f"DATABASE_URL={uri('app', password)}\n")
    work.commit("settings")
    url = parse(f"file://{work.root}")
    cache = tmp_path / "cache"
    path = mirror(url, cache)  # cloned
    work.write("deploy.sh", f"psql '{uri('deploy', make_password())}'\n")
    head = work.commit("deploy")

    done: list[Path] = []
    with locked(cache, url):
        # the lock is exclusive: another holder (another process's open file) is refused
        fd = os.open(cache / f"{mirror_name(url.display)}.lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        fetch = threading.Thread(target=lambda: done.append(mirror(url, cache)))
        fetch.start()
        fetch.join(timeout=2)
        assert fetch.is_alive() and not done  # waiting for the lock, not fetching
        tip = subprocess.run(["git", "-C", str(path), "rev-parse", "refs/heads/main"],
                             capture_output=True, text=True, check=True).stdout.strip()
        assert tip != head
    fetch.join(timeout=60)
    assert done == [path]
    tip = subprocess.run(["git", "-C", str(path), "rev-parse", "refs/heads/main"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert tip == head
