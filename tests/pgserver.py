"""A throwaway PostgreSQL cluster on a loopback port, run as an unprivileged user, for tests."""

from __future__ import annotations

import datetime
import glob
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN = "pgsweep_admin"
# Preferred OS users to run the server as when the tests run as root (initdb refuses root).
RUN_AS_CANDIDATES = ("postgres", "nobody")


class PgServerUnavailable(Exception):
    """No PostgreSQL server binaries on this machine: tests that need one are skipped."""


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's versioned dirs."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    for initdb in reversed(found):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Role:
    """A login role of the test cluster: what leaked, and what the server holds now."""

    name: str
    method: str  # "scram-sha-256" or "md5": how the server stores the password
    leaked: str = field(repr=False)  # the password an attacker found
    current: str = field(repr=False)  # the password the server accepts now

    @property
    def rotated(self) -> bool:
        return self.leaked != self.current


@dataclass
class PgServer:
    """One running cluster; `roles` are the login roles the fixture created."""

    bindir: Path
    base: Path
    port: int
    run_as: pwd.struct_passwd | None
    tls: bool
    host: str = "127.0.0.1"
    roles: dict[str, Role] = field(default_factory=dict)
    version: int = 0

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base

    # ------------------------------------------------------------------ processes
    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the unprivileged user."""
        kwargs: dict[str, Any] = {}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(self.base),
        }
        if self.run_as is not None:
            kwargs.update(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
        proc = subprocess.run(
            cmd, cwd=self.base, env=env, check=False, capture_output=True, text=True, timeout=120,
            **kwargs,
        )
        if check and proc.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr.strip()}\n{tail}"
            )
        return proc

    def _chown(self, path: Path) -> None:
        if self.run_as is not None:
            os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", ADMIN, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )
        self.version = int((self.datadir / "PG_VERSION").read_text().strip().split(".")[0])
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "max_connections = 40",
            "shared_buffers = 16MB",
            "log_connections = off",
            "password_encryption = 'scram-sha-256'",
        ]
        if self.tls:
            self._write_certificate()
            settings += ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
        with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# pgsweep test cluster\n" + "\n".join(settings) + "\n")

    def write_hba(self, md5_roles: Sequence[str] = ()) -> None:
        """md5-stored roles authenticate only under the `md5` method."""
        lines = [f"local all {ADMIN} trust"]
        lines += [f'host all "{name}" 127.0.0.1/32 md5' for name in md5_roles]
        lines.append("host all all 127.0.0.1/32 scram-sha-256")
        hba = self.datadir / "pg_hba.conf"
        hba.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._chown(hba)

    def _write_certificate(self) -> None:
        """A self-signed certificate for 127.0.0.1 / localhost, so TLS use can be recorded."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        crt, pem = self.datadir / "server.crt", self.datadir / "server.key"
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        for p in (crt, pem):
            os.chmod(p, 0o600)
            self._chown(p)

    def start(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
            "-l", str(self.base / "server.log"), "-o", f"-p {self.port}", "-w", "-t", "60", "start",
        )

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                      "-w", "stop", check=False)

    # ------------------------------------------------------------------ access
    def admin(self) -> Any:
        """A superuser connection over the cluster's private unix socket (trust)."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=ADMIN, dbname="postgres",
            autocommit=True,
        )

    def create_role(self, name: str, method: str, leaked: str, current: str | None = None) -> Role:
        """Create a login role whose verifier the server computes itself (never pre-hashed)."""
        from psycopg import sql

        with self.admin() as conn:
            conn.execute(sql.SQL("SET password_encryption = {}").format(sql.Literal(method)))
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(name), sql.Literal(leaked)
                )
            )
            if current is not None and current != leaked:
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(name), sql.Literal(current)
                    )
                )
        role = Role(name=name, method=method, leaked=leaked, current=current or leaked)
        self.roles[name] = role
        return role

    def authid(self) -> list[tuple[str, str]]:
        """`SELECT rolname, rolpassword FROM pg_authid` for roles with a password."""
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL "
                "ORDER BY rolname"
            ).fetchall()
        return [(str(a), str(b)) for a, b in rows]

    def dumpall_roles(self) -> str:
        """The real `pg_dumpall --roles-only` output of this cluster."""
        proc = subprocess.run(
            [str(self.bindir / "pg_dumpall"), "--roles-only", "-h", str(self.socket_dir),
             "-p", str(self.port), "-U", ADMIN],
            check=False, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PGPASSWORD": ""},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pg_dumpall failed: {proc.stderr.strip()}")
        return proc.stdout


def run_as_user() -> pwd.struct_passwd | None:
    """None when not root; else the first existing unprivileged account to own the cluster."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("PGSWEEP_TEST_PGUSER")
    for name in ([wanted] if wanted else []) + list(RUN_AS_CANDIDATES):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PgServerUnavailable("running as root and no unprivileged user (postgres, nobody)")


def is_traversable_by_others(path: Path) -> bool:
    """Every directory from / to `path` lets other users pass (o+x)."""
    return all(os.stat(p).st_mode & 0o001 for p in [path.resolve(), *path.resolve().parents])


def start_server(md5_roles: Sequence[str] = (), tls: bool = True, attempts: int = 3) -> PgServer:
    """initdb and start a cluster in a fresh temp dir; raises PgServerUnavailable if impossible."""
    bindir = find_bindir()
    if bindir is None:
        raise PgServerUnavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
            "/usr/lib/postgresql/*/bin; `make system-deps` installs them"
        )
    run_as = run_as_user()
    parent = tempfile.gettempdir()
    if run_as is not None and not is_traversable_by_others(Path(parent)):
        parent = "/tmp"  # e.g. TMPDIR under /root: the server's user could not reach it
    base = Path(tempfile.mkdtemp(prefix="pgsweep-pg-", dir=parent))
    if run_as is not None:
        os.chown(base, run_as.pw_uid, run_as.pw_gid)
    os.chmod(base, 0o700)
    server = PgServer(bindir=bindir, base=base, port=free_port(), run_as=run_as, tls=tls)
    try:
        server.init()
        server.write_hba(md5_roles)
        for attempt in range(attempts):
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                server.port = free_port()  # lost a race for the port: try another
    except BaseException:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        raise
    return server


def remove_server(server: PgServer) -> None:
    server.stop()
    shutil.rmtree(server.base, ignore_errors=True)
