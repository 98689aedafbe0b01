"""Figure 1, issuance: tickets/s through HTTP at saturation (closed loop), p50/p99 at
25/50/75 % of it (open loop); ceiling: the same writes by asyncpg directly."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg

from bench.client import HttpPool
from bench.measure import SITE, log, open_loop, services_of, summary_ms
from bench.system import RunningSystem
from shared.database import Connection

RAW_SITE = "bench-001"


async def closed_loop(
    api: HttpPool, path: str, services: list[str], concurrency: int, seconds: float
) -> tuple[int, int, float]:
    """`concurrency` kiosks issuing back to back: (issued, refused, elapsed seconds)."""
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def kiosk(i: int) -> None:
        nonlocal done, errors
        n = i
        while time.perf_counter() < stop_at:
            status, _ = await api.request("POST", path, {"service_id": services[n % len(services)]})
            n += concurrency
            if status == 201:
                done += 1
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(kiosk(i) for i in range(concurrency)))
    return done, errors, time.perf_counter() - started


async def open_loop_level(
    api: HttpPool, path: str, services: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    """Issuance latency from the intended send time, at `rate` tickets/s."""
    lat: list[float] = []
    bad = 0

    async def one(i: int, at: float) -> None:
        nonlocal bad
        status, _ = await api.request("POST", path, {"service_id": services[i % len(services)]})
        if status == 201:
            lat.append(time.perf_counter() - at)
        else:
            bad += 1

    await open_loop(rate, seconds, one)
    return {"rate_per_s": rate, "errors": bad, **summary_ms(lat)}


async def bench_issuance(
    system: RunningSystem, seconds: float, concurrency: int, open_seconds: float
) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    services = [s["id"] for s in (await services_of(api, SITE))["services"]]
    path = f"/api/sites/{SITE}/tickets"
    # warm up: connections, caches, JIT-less Python's first paths
    _, warm_errors, _ = await closed_loop(api, path, services, concurrency, 1.0)
    done, errors, elapsed = await closed_loop(api, path, services, concurrency, seconds)
    errors += warm_errors
    saturation = done / elapsed
    log(f"issuance saturation {saturation:.0f}/s ({concurrency} kiosks)")
    levels = {}
    for share in (0.25, 0.5, 0.75):
        rate = saturation * share
        levels[f"{int(share * 100)}"] = await open_loop_level(
            api, path, services, rate, open_seconds
        )
        log(f"issuance at {share:.0%} ({rate:.0f}/s): {levels[str(int(share * 100))]}")
    await api.close()
    return {
        "tickets_per_s": saturation,
        "concurrency": concurrency,
        "seconds": seconds,
        "errors": errors,
        "open_loop": levels,
    }


async def write_issue(conn: Connection, service_id: str, payload: str) -> None:
    """What an issue writes: the service's daily number (lock_service_day + count_issued),
    the ticket row, the site's event sequence and the outbox row (record_events), NOTIFY;
    one transaction. The outbox row is written as already published so the relay leaves
    it alone."""
    async with conn.transaction():
        day = await conn.fetchval("SELECT (clock_timestamp() AT TIME ZONE 'UTC')::date")
        await conn.fetchrow(
            """INSERT INTO ticketing.service_day_numbers AS d
                   (site_id, service_id, day, last_number) VALUES ($1, $2, $3, 0)
               ON CONFLICT (site_id, service_id, day)
               DO UPDATE SET last_number = d.last_number RETURNING *""",
            RAW_SITE,
            service_id,
            day,
        )
        number = await conn.fetchval(
            """UPDATE ticketing.service_day_numbers
                  SET last_number = last_number + 1, issued_kiosk = issued_kiosk + 1
                WHERE site_id = $1 AND service_id = $2 AND day = $3
               RETURNING last_number""",
            RAW_SITE,
            service_id,
            day,
        )
        await conn.execute(
            """INSERT INTO ticketing.tickets (id, site_id, service_id, number, day,
                   priority, channel, phone, status, issued_at, queued_at)
               VALUES ($1, $2, $3, $4, $5, 'regular', 'kiosk', NULL, 'waiting',
                       clock_timestamp(), clock_timestamp())""",
            uuid.uuid4(),
            RAW_SITE,
            service_id,
            f"A-{number:03d}",
            day,
        )
        row = await conn.fetchrow(
            """INSERT INTO ticketing.site_event_sequences AS s (site_id, last_seq)
               VALUES ($1, 1) ON CONFLICT (site_id)
               DO UPDATE SET last_seq = s.last_seq + 1
               RETURNING last_seq, clock_timestamp() AS now""",
            RAW_SITE,
        )
        await conn.execute(
            """INSERT INTO ticketing.outbox
                   (site_id, site_seq, topic, event_id, payload, published_at)
               VALUES ($1, $2, 'ticket-issued', $3, $4, clock_timestamp())""",
            RAW_SITE,
            row["last_seq"] if row is not None else 0,
            uuid.uuid4(),
            payload,
        )
        await conn.execute("SELECT pg_notify('ticketing_outbox', $1)", RAW_SITE)


async def raw_writers(
    pool: asyncpg.Pool, services: list[str], concurrency: int, seconds: float
) -> int:
    """`concurrency` connections writing issues back to back for `seconds`: how many."""
    payload = json.dumps({"pad": "x" * 900})  # a ticket-issued event is about 1 KB
    stop_at = time.perf_counter() + seconds
    count = 0

    async def worker(w: int) -> None:
        nonlocal count
        n = w
        async with pool.acquire() as conn:
            while time.perf_counter() < stop_at:
                service_id = services[n % len(services)]
                n += concurrency
                await write_issue(conn, service_id, payload)
                count += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return count


async def bench_raw_issuance(database_url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """The ceiling: what an issue writes (`write_issue`), by asyncpg directly."""
    pool = await asyncpg.create_pool(database_url, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    services = [
        r["id"]
        for r in await pool.fetch(
            "SELECT id FROM ticketing.services WHERE site_id = $1 AND active", RAW_SITE
        )
    ]
    await raw_writers(pool, services, concurrency, 1.0)  # warm up
    started = time.perf_counter()
    count = await raw_writers(pool, services, concurrency, seconds)
    elapsed = time.perf_counter() - started
    await pool.close()
    log(f"raw issuance ceiling {count / elapsed:.0f} tx/s ({concurrency} connections)")
    return {"transactions_per_s": count / elapsed, "concurrency": concurrency}
