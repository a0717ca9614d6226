"""Rotation steps that belong to where a password lives (a pooler's password file, a systemd
unit, a crontab): data matched by signature id or by path, turned into plan steps by
`pgsweep.assess.rotation`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FormStep:
    """A step for credentials found by one of `rules`, or in a file whose path matches
    `paths` (a regex)."""

    title: str
    detail: str
    commands: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    paths: str | None = None


FORM_STEPS: tuple[FormStep, ...] = (
    FormStep(
        "Change the PgBouncer userlist entry together with the role",
        "PgBouncer checks clients, and logs in to the server, with the secret in its "
        "auth_file: change the role's password and the userlist.txt entry in one step (the "
        "entry may hold the new SCRAM verifier from pg_authid rather than the password), "
        "then reload PgBouncer. Better: auth_user with auth_query, so the file holds no "
        "password at all.",
        ("psql -p 6432 -U pgbouncer pgbouncer -c 'RELOAD;'",),
        rules=("pg.pooler.1",),
        paths=r"(?:^|/)userlist\.txt$",
    ),
    FormStep(
        "Change the Pgpool-II pool_passwd entry together with the role",
        "Pgpool-II authenticates clients and backends with pool_passwd: after changing the "
        "role's password, write the entry again encrypted with the .pgpoolkey (pg_enc, "
        "prompting for the password) and reload Pgpool-II on every node.",
        ("pg_enc -m -f /etc/pgpool2/pgpool.conf -u <user> -p",
         "pcp_reload_config -h <pgpool-host> -U <pcp-user>"),
        rules=("pg.pooler.2",),
        paths=r"(?:^|/)pool_passwd$",
    ),
    FormStep(
        "Change the Pgpool-II PCP password",
        "A PCP user can detach, attach and promote nodes. Set a new password, put its md5 "
        "in pcp.conf on every Pgpool-II node (pg_md5 --prompt prints it), and update the "
        "PCP password files (.pcppass) of the tools that use it.",
        ("pg_md5 --prompt",),
        rules=("pg.pooler.3",),
        paths=r"(?:^|/)pcp\.conf$",
    ),
    FormStep(
        "Change the Patroni password in the cluster and in every node's configuration",
        "Patroni uses these credentials to manage PostgreSQL: change the role's password, "
        "then the same value in patroni.yml on every node (or its PATRONI_*_PASSWORD "
        "environment), and reload Patroni so that failover and pg_rewind keep working.",
        ("patronictl -c /etc/patroni/patroni.yml reload <cluster>",),
        rules=("pg.patroni.1",),
        paths=r"(?:^|/)patroni[^/]*\.ya?ml$|(?:^|/)etc/patroni/",
    ),
    FormStep(
        "Update the ODBC data source",
        "Remove Password from the odbc.ini data source (psqlODBC reads ~/.pgpass when no "
        "password is given) or update it after the change, and check every machine that "
        "copied the file.",
        rules=("pg.odbc.1",),
        paths=r"(?:^|/)\.?odbc\.ini$",
    ),
    FormStep(
        "Move the password out of the systemd unit",
        "Environment= lines are readable by every local user (systemctl show). Pass it as a "
        "credential instead (LoadCredential= or SetCredentialEncrypted= from systemd-creds), "
        "or an EnvironmentFile= readable only by root, then reload and restart the unit.",
        ("systemd-creds encrypt --name=pgpassword - /etc/credstore.encrypted/pgpassword",
         "systemctl daemon-reload && systemctl restart <unit>"),
        paths=r"\.(?:service|socket|timer)$|\.service\.d/[^/]+\.conf$|/systemd/system/",
    ),
    FormStep(
        "Remove the password from /etc/environment",
        "Every login session and PAM-started service gets /etc/environment: remove the "
        "variable and give the one program that needs it a 0600 ~/.pgpass or a secret store.",
        paths=r"(?:^|/)etc/environment$",
    ),
    FormStep(
        "Take the password off the crontab line",
        "A cron job's command line is visible to every local user while it runs, and the "
        "crontab is copied into backups. Give the cron user a 0600 ~/.pgpass (or PGPASSFILE) "
        "and remove PGPASSWORD from the line (crontab -e, or the file under /etc/cron.d).",
        paths=r"(?:^|/)(?:crontab|cron\.d/[^/]+|crontabs/[^/]+)$",
    ),
    FormStep(
        "Update repmgr's conninfo on every node",
        "repmgr reads conninfo from repmgr.conf on each run: after changing the password, "
        "update the file on every node, or drop password= from conninfo and give the repmgr "
        "user a 0600 ~/.pgpass (passfile=).",
        paths=r"(?:^|/)repmgr\.conf$",
    ),
    FormStep(
        "Update primary_conninfo on every standby",
        "A standby reconnects with the password in primary_conninfo: set the new one with "
        "ALTER SYSTEM on each standby and reload (PostgreSQL 13 and later apply it without "
        "a restart), or use passfile= with a 0600 password file instead.",
        ("psql -c \"ALTER SYSTEM SET primary_conninfo = '<conninfo without password>'\" "
         "-c 'SELECT pg_reload_conf()'",),
        paths=r"(?:^|/)(?:recovery\.conf|postgresql\.auto\.conf)$",
    ),
)


def matching(rules: Iterable[str], paths: Iterable[str]) -> list[FormStep]:
    """The steps for a credential found by these rules at these paths, in table order."""
    rule_set = set(rules)
    path_set = set(paths)  # a history repeats each path in many versions
    return [step for step in FORM_STEPS
            if rule_set.intersection(step.rules)
            or (step.paths is not None and any(re.search(step.paths, p) for p in path_set))]
