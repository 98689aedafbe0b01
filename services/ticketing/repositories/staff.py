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
