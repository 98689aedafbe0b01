"""Staff accounts and wrong-password counts, kept as SQL. Accounts come from site files
(site_loader), the deployment file, or an admin (`source`); a login reads the active one."""

from __future__ import annotations

from dataclasses import dataclass

from services.ticketing.repositories.rows import maybe_row, row_of, rows_of
from shared.database import Connection


@dataclass(frozen=True)
class StaffAccount:
    username: str
    site_id: str
    role: str
    counter_ids: list[str]
    password_hash: str
    active: bool
    source: str
    deployment_admin: bool


_COLUMNS = "username, site_id, role, counter_ids, password_hash, active, source, deployment_admin"


async def active_account(conn: Connection, username: str) -> StaffAccount | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM ticketing.staff WHERE username = $1 AND active", username
    )
    return maybe_row(StaffAccount, row)


async def lock_account(conn: Connection, username: str) -> StaffAccount | None:
    """The account, active or not, locked until commit."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM ticketing.staff WHERE username = $1 FOR UPDATE", username
    )
    return maybe_row(StaffAccount, row)


async def accounts(conn: Connection, site_id: str | None) -> list[StaffAccount]:
    """One site's accounts, or every site's (None)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM ticketing.staff WHERE $1::text IS NULL OR site_id = $1
            ORDER BY site_id, username""",
        site_id,
    )
    return rows_of(StaffAccount, rows)


async def save_admin_made(
    conn: Connection,
    username: str,
    site_id: str,
    role: str,
    counter_ids: list[str],
    password_hash: str,
) -> StaffAccount:
    """Add an active admin-made account, or replace the one of that name."""
    row = await conn.fetchrow(
        f"""INSERT INTO ticketing.staff
                (username, site_id, role, counter_ids, password_hash, active, source)
            VALUES ($1, $2, $3, $4, $5, true, 'admin')
            ON CONFLICT (username) DO UPDATE SET site_id = $2, role = $3, counter_ids = $4,
                password_hash = $5, active = true
            RETURNING {_COLUMNS}""",
        username,
        site_id,
        role,
        counter_ids,
        password_hash,
    )
    assert row is not None
    return row_of(StaffAccount, row)


@dataclass(frozen=True)
class AccountChanges:
    """What an admin changes (None: unchanged); `fields` are kept from site-file reloads."""

    role: str | None
    counter_ids: list[str] | None
    active: bool | None
    password_hash: str | None
    fields: list[str]


async def change(conn: Connection, username: str, c: AccountChanges) -> StaffAccount:
    row = await conn.fetchrow(
        f"""UPDATE ticketing.staff SET
                role = coalesce($2, role),
                counter_ids = coalesce($3, counter_ids),
                active = coalesce($4, active),
                password_hash = coalesce($5, password_hash),
                api_fields = ARRAY(SELECT DISTINCT unnest(api_fields || $6::text[]))
             WHERE username = $1 RETURNING {_COLUMNS}""",
        username,
        c.role,
        c.counter_ids,
        c.active,
        c.password_hash,
        c.fields,
    )
    assert row is not None  # the caller holds the account's lock
    return row_of(StaffAccount, row)


# --- wrong passwords --------------------------------------------------------------------


@dataclass(frozen=True)
class LoginFailures:
    failures: int
    ago: float
    """Seconds since the last one."""


async def login_failures(conn: Connection, username: str, address: str) -> LoginFailures | None:
    row = await conn.fetchrow(
        """SELECT failures,
                  extract(epoch FROM clock_timestamp() - last_failure_at)::float8 AS ago
             FROM ticketing.login_failures WHERE username = $1 AND address = $2""",
        username,
        address,
    )
    return maybe_row(LoginFailures, row)


async def record_login_failure(
    conn: Connection, username: str, address: str, forget_after_s: int
) -> None:
    """One more failure, counted from 1 again when the last is older than `forget_after_s`."""
    await conn.execute(
        """INSERT INTO ticketing.login_failures AS f (username, address, failures, last_failure_at)
           VALUES ($1, $2, 1, clock_timestamp())
           ON CONFLICT (username, address) DO UPDATE SET
               failures = CASE WHEN f.last_failure_at < clock_timestamp() - make_interval(
                                   secs => $3) THEN 1 ELSE f.failures + 1 END,
               last_failure_at = clock_timestamp()""",
        username,
        address,
        forget_after_s,
    )


async def clear_login_failures(conn: Connection, username: str, address: str) -> None:
    await conn.execute(
        "DELETE FROM ticketing.login_failures WHERE username = $1 AND address = $2",
        username,
        address,
    )


# --- the accounts site files and the deployment file write (site_loader) ------------------


ConfigAccount = tuple[str, str, list[str], str | None]
"""(username, role, counter ids, password hash or None to keep the stored one)."""


async def config_password_sample(conn: Connection, site_id: str) -> str | None:
    """The password hash of one of the site's file accounts whose password the file sets."""
    sample: str | None = await conn.fetchval(
        """SELECT password_hash FROM ticketing.staff
            WHERE site_id = $1 AND source = 'config' AND NOT 'password' = ANY (api_fields)
            LIMIT 1""",
        site_id,
    )
    return sample


async def config_usernames(conn: Connection, site_id: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT username FROM ticketing.staff WHERE site_id = $1 AND source = 'config'",
        site_id,
    )
    return {r["username"] for r in rows}


async def write_config_accounts(
    conn: Connection, site_id: str, accounts: list[ConfigAccount]
) -> None:
    """The file's accounts of the site, active; its other file accounts inactive. The file
    creates accounts and sets only what an admin has not changed by the API."""
    await conn.execute(
        """UPDATE ticketing.staff SET active = false
            WHERE site_id = $1 AND source = 'config' AND NOT 'active' = ANY (api_fields)""",
        site_id,
    )
    await conn.executemany(
        """INSERT INTO ticketing.staff AS st (username, site_id, role, counter_ids,
               password_hash, active, source)
           VALUES ($1, $2, $3, $4, coalesce($5, ''), true, 'config')
           ON CONFLICT (username) DO UPDATE SET
               site_id = EXCLUDED.site_id,
               role = CASE WHEN 'role' = ANY (st.api_fields) THEN st.role
                           ELSE EXCLUDED.role END,
               counter_ids = CASE WHEN 'counter_ids' = ANY (st.api_fields)
                                  THEN st.counter_ids ELSE EXCLUDED.counter_ids END,
               password_hash = CASE WHEN 'password' = ANY (st.api_fields)
                                    THEN st.password_hash
                                    ELSE coalesce($5, st.password_hash) END,
               active = CASE WHEN 'active' = ANY (st.api_fields) THEN st.active
                             ELSE true END,
               source = 'config'
           WHERE st.source <> 'deployment'""",
        [(u, site_id, role, counters, hashed) for u, role, counters, hashed in accounts],
    )


async def write_deployment_admin(
    conn: Connection, username: str, site_id: str, password_hash: str
) -> None:
    """A deployment-wide admin; its password and `active` stay as an admin set them."""
    await conn.execute(
        """INSERT INTO ticketing.staff AS st (username, site_id, role, counter_ids,
               password_hash, active, source, deployment_admin)
           VALUES ($1, $2, 'admin', '{}', $3, true, 'deployment', true)
           ON CONFLICT (username) DO UPDATE SET
               site_id = EXCLUDED.site_id, role = 'admin', deployment_admin = true,
               source = 'deployment',
               password_hash = CASE WHEN 'password' = ANY (st.api_fields)
                                    THEN st.password_hash ELSE $3 END,
               active = CASE WHEN 'active' = ANY (st.api_fields) THEN st.active
                             ELSE true END""",
        username,
        site_id,
        password_hash,
    )
