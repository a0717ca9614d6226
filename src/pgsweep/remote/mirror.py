"""Keep a bare mirror of a remote repository (every ref, pull-request refs included) in a
cache folder: cloned on first use, fetched with `--prune` after."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import platformdirs

from pgsweep.remote.errors import RemoteError
from pgsweep.remote.urls import ALLOWED_PROTOCOLS, RemoteUrl, mirror_name, scrub

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: mirrors are not locked there
    fcntl = None

CACHE_ENV = "PGSWEEP_CACHE_DIR"
REFSPEC = "+refs/*:refs/*"
DEFAULT_TIMEOUT = 3600.0


def cache_root(explicit: Path | None = None) -> Path:
    """Where mirrors live: `explicit`, else $PGSWEEP_CACHE_DIR, else the user cache dir."""
    if explicit is not None:
        return explicit
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("pgsweep")) / "mirrors"


def git_env() -> dict[str, str]:
    """git's environment for a mirror: never a terminal prompt (GIT_ASKPASS and credential
    helpers still answer), only plain transports, messages in English."""
    return {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
        "LC_ALL": "C",
    }


def _git(args: list[str], url: RemoteUrl, timeout: float, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True,
            errors="replace", timeout=timeout, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RemoteError(f"{url.display}: git did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise RemoteError(f"{url.display}: cannot run git ({exc.strerror or exc})") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        why = next((ln for ln in lines if ln.startswith("fatal:")),
                   lines[-1] if lines else f"git exited with {done.returncode}")
        raise RemoteError(f"{url.display}: cannot mirror ({scrub(why, url.secrets)[:300]})")


@contextlib.contextmanager
def locked(cache: Path, url: RemoteUrl) -> Iterator[None]:
    """Hold the mirror's lock (`<mirror>.lock` beside it): one pgsweep at a time clones or
    fetches a mirror; another waits for it. Where there is no flock (Windows), nothing."""
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(cache / f"{mirror_name(url.display)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise RemoteError(f"{cache}: cannot create the mirror cache ({exc.strerror or exc})"
                          ) from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def mirror(url: RemoteUrl, cache: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """The up-to-date bare mirror of `url` under `cache`; its config holds `url.display`
    only, never the credentials `url.clone` may carry. Concurrent calls for one mirror
    take turns (`locked`)."""
    with locked(cache, url):
        return _update(url, cache, timeout)


def _update(url: RemoteUrl, cache: Path, timeout: float) -> Path:
    path = cache / mirror_name(url.display)
    if (path / "HEAD").is_file():
        _git(["fetch", "--prune", "--no-write-fetch-head", "--quiet", "--", url.clone, REFSPEC],
             url, timeout, cwd=path)
        return path
    try:
        cache.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=cache))
    except OSError as exc:
        raise RemoteError(f"{cache}: cannot create the mirror cache ({exc.strerror or exc})"
                          ) from None
    try:
        target = staging / "mirror.git"
        _git(["clone", "--mirror", "--quiet", "--", url.clone, str(target)], url, timeout)
        _git(["config", "remote.origin.url", url.display], url, timeout, cwd=target)
        try:
            os.rename(target, path)
        except OSError:
            if not (path / "HEAD").is_file():  # not another pgsweep's mirror of it, made meanwhile
                raise RemoteError(f"{path}: cannot move the new mirror into place") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path
