"""A year of synthetic ticket history for one site, to time the service reports.

    .venv/bin/python -m scripts.generate_history                       # embedded PostgreSQL
    .venv/bin/python -m scripts.generate_history --database-url URL    # a server of yours
    .venv/bin/python -m scripts.generate_history --explain-only        # reuse the data

It creates (or empties) its own database `antrian_history`, applies the ticketing
migrations, loads the demo sites, COPYs ~2,000,000 tickets of one site across a year
(busier mornings and Mondays, waits that grow with the crowd, outcomes, channels, counters)
plus transfers in the outbox, survey responses and complaints, VACUUM ANALYZEs, and then
runs EXPLAIN (ANALYZE, BUFFERS) of every report query for the last month and the last year,
and times the whole report (docs/reports.md records a run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg

from services.ticketing import reports
from services.ticketing.actors import Actor
from services.ticketing.app import MIGRATIONS, SCHEMA
from services.ticketing.settings import TicketingSettings
from services.ticketing.site_loader import load_all_sites
from shared.database import apply_migrations, connect
from shared.embedded import EmbeddedPostgres

DATABASE = "antrian_history"
REPO = Path(__file__).resolve().parents[1]

# arrivals by local hour (08–15) and by ISO weekday (Sunday closed)
HOURS = {8: 0.13, 9: 0.19, 10: 0.18, 11: 0.15, 12: 0.08, 13: 0.12, 14: 0.10, 15: 0.05}
WEEKDAYS = {1: 1.30, 2: 1.10, 3: 1.0, 4: 1.0, 5: 0.85, 6: 0.55, 7: 0.0}
CHANNELS = (("kiosk", 0.70), ("online", 0.22), ("mobile", 0.08))

TICKET_COLUMNS = [
    "id",
    "site_id",
    "service_id",
    "number",
    "day",
    "priority",
    "channel",
    "status",
    "outcome",
    "counter_id",
    "call_count",
    "issued_at",
    "queued_at",
    "called_at",
    "completed_at",
    "first_called_at",
]


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


def generate(
    site_id: str,
    timezone: str,
    services: list[dict[str, Any]],
    counters: dict[str, list[str]],
    first: date,
    days: int,
    total: int,
    seed: int,
    stats: dict[str, int],
) -> Iterator[tuple[Any, ...]]:
    """Ticket rows, day by day (the outbox, survey and complaint rows go into `extra`)."""
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    weights = [WEEKDAYS[(first + timedelta(days=d)).isoweekday()] for d in range(days)]
    per_weight = total / sum(weights)
    hours = tuple((str(h), w) for h, w in HOURS.items())
    svc_weights = tuple((s["id"], 1 / (i + 1.5)) for i, s in enumerate(services))
    norm = sum(w for _, w in svc_weights)
    svc_weights = tuple((s, w / norm) for s, w in svc_weights)
    by_id = {s["id"]: s for s in services}
    for d in range(days):
        day = first + timedelta(days=d)
        n = round(per_weight * weights[d] * rng.uniform(0.85, 1.15))
        if weights[d] == 0:
            continue
        numbers: dict[str, int] = {}
        for _ in range(n):
            hour = int(_pick(rng, hours))
            local = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + timedelta(
                seconds=rng.randrange(3600)
            )
            issued = local.astimezone(UTC)
            service_id = _pick(rng, svc_weights)
            svc = by_id[service_id]
            numbers[service_id] = numbers.get(service_id, 0) + 1
            number = f"{svc['prefix']}-{numbers[service_id]:03d}"
            channel = _pick(rng, CHANNELS)
            priority = "priority" if rng.random() < 0.08 else "regular"
            crowd = HOURS[hour] / 0.19 * WEEKDAYS[day.isoweekday()]
            wait = rng.expovariate(1 / (240 + 900 * crowd))
            roll = rng.random()
            called = first_called = completed = None
            counter = None
            if roll < 0.05:
                status = "cancelled"
                completed = issued + timedelta(seconds=wait * rng.uniform(0.2, 0.9))
            else:
                first_called = issued + timedelta(seconds=wait)
                called = first_called
                counter = rng.choice(counters[service_id])
                if roll < 0.12:
                    status = "no_show"
                    completed = called + timedelta(seconds=rng.uniform(60, 300))
                else:
                    status = "served"
                    mean = svc["avg_service_s"]
                    service_s = rng.lognormvariate(math.log(mean) - 0.18, 0.6)
                    completed = called + timedelta(seconds=max(30.0, service_s))
                    if rng.random() < 0.06:
                        stats["survey"] += 1
            if roll > 0.98:
                stats["transfers"] += 1
            stats["tickets"] += 1
            yield (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                site_id,
                service_id,
                number,
                day,
                priority,
                channel,
                status,
                status,
                counter,
                1 if called else 0,
                issued,
                issued,
                called,
                completed,
                first_called,
            )


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _database(server_url: str) -> str:
    admin = await asyncpg.connect(server_url)
    try:
        if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", DATABASE):
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{DATABASE}"))


async def load(conn: asyncpg.Connection, args: argparse.Namespace) -> None:
    await apply_migrations(conn, SCHEMA, MIGRATIONS)
    await load_all_sites(conn, TicketingSettings(sites_reload_s=0, mpp_demo_password="demo"))
    site = await conn.fetchrow("SELECT * FROM ticketing.sites WHERE id = $1", args.site)
    if site is None:
        raise SystemExit(f"no site {args.site!r}")
    services = [
        dict(r)
        for r in await conn.fetch(
            """SELECT id, prefix, agency_id, avg_service_s FROM ticketing.services
                WHERE site_id = $1 AND active ORDER BY position""",
            args.site,
        )
    ]
    counters: dict[str, list[str]] = {s["id"]: [] for s in services}
    for c in await conn.fetch(
        "SELECT id, service_ids FROM ticketing.counters WHERE site_id = $1 AND active", args.site
    ):
        for s in c["service_ids"]:
            counters.setdefault(s, []).append(c["id"])
    services = [s for s in services if counters.get(s["id"])]
    print(f"emptying {DATABASE}'s history …", flush=True)
    await conn.execute(
        """TRUNCATE ticketing.survey_responses, ticketing.complaint_answers,
                    ticketing.complaints, ticketing.complaint_numbers,
                    ticketing.idempotency_keys, ticketing.tickets, ticketing.outbox CASCADE"""
    )
    last = args.end or date.today() - timedelta(days=1)
    first = last - timedelta(days=args.days - 1)
    stats = {"tickets": 0, "transfers": 0, "survey": 0}
    started = time.monotonic()
    rows = generate(
        args.site,
        site["timezone"],
        services,
        counters,
        first,
        args.days,
        args.tickets,
        args.seed,
        stats,
    )
    rng = random.Random(args.seed + 1)
    outbox: list[tuple[Any, ...]] = []
    surveys: list[tuple[Any, ...]] = []
    agency_of = {s["id"]: s["agency_id"] for s in services}
    for chunk in _chunks(rows, 100_000):
        await conn.copy_records_to_table(
            "tickets", schema_name="ticketing", columns=TICKET_COLUMNS, records=chunk
        )
        for t in chunk:
            # a few transfers (in the outbox) and survey answers of served tickets
            if t[7] == "served" and rng.random() < 0.02 and t[13] is not None:
                payload = {
                    "event_type": "service-completed",
                    "site_id": t[1],
                    "ticket_id": str(t[0]),
                    "service_id": t[2],
                    "agency_id": agency_of[t[2]],
                    "counter_id": t[9],
                    "outcome": "transferred",
                }
                outbox.append(
                    (
                        t[1],
                        len(outbox) + 1,
                        "service-completed",
                        uuid.uuid4(),
                        json.dumps(payload, separators=(",", ":")),
                        t[13],
                        t[13],
                    )
                )
            if t[7] == "served" and rng.random() < 0.06:
                base = rng.choice((3, 3, 3, 4, 4, 2))
                answers = [max(1, min(4, base + rng.choice((-1, 0, 0, 0, 1)))) for _ in range(9)]
                surveys.append(
                    (t[0], t[1], t[2], agency_of[t[2]], t[9], t[4], *answers, "", False, t[14])
                )
        print(f"  {stats['tickets']:>9,} tickets  {time.monotonic() - started:6.1f} s", flush=True)
    await conn.copy_records_to_table(
        "outbox",
        schema_name="ticketing",
        columns=[
            "site_id",
            "site_seq",
            "topic",
            "event_id",
            "payload",
            "created_at",
            "published_at",
        ],
        records=outbox,
    )
    await conn.copy_records_to_table(
        "survey_responses",
        schema_name="ticketing",
        columns=[
            "ticket_id",
            "site_id",
            "service_id",
            "agency_id",
            "counter_id",
            "day",
            *[f"u{i}" for i in range(1, 10)],
            "comment",
            "signed",
            "submitted_at",
        ],
        records=surveys,
    )
    complaints = []
    for i in range(args.days * 3):
        received = datetime.combine(first, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(args.days * 86400)
        )
        resolved = received + timedelta(hours=rng.uniform(2, 120)) if rng.random() < 0.8 else None
        complaints.append(
            (
                uuid.uuid4(),
                args.site,
                f"ADU-{i + 1:06d}",
                rng.choice(("complaint", "suggestion")),
                "Keluhan contoh",
                "resolved" if resolved else "received",
                received,
                resolved,
                "generated",
            )
        )
    await conn.copy_records_to_table(
        "complaints",
        schema_name="ticketing",
        columns=[
            "id",
            "site_id",
            "number",
            "kind",
            "text",
            "status",
            "received_at",
            "resolved_at",
            "client_key",
        ],
        records=complaints,
    )
    print(
        f"loaded {stats['tickets']:,} tickets from {first} to {last}, {len(outbox):,} transfers, "
        f"{len(surveys):,} survey responses, {len(complaints):,} complaints "
        f"in {time.monotonic() - started:.1f} s; VACUUM ANALYZE …",
        flush=True,
    )
    for table in ("tickets", "outbox", "survey_responses", "complaints"):
        await conn.execute(f"VACUUM ANALYZE ticketing.{table}")


def _nodes(plan: dict[str, Any]) -> list[str]:
    name = plan["Node Type"]
    if "Index Name" in plan:
        name += f" ({plan['Index Name']})"
    found = [name]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


def _scan(plan: dict[str, Any]) -> str:
    scans = [n for n in _nodes(plan) if "Scan" in n and "CTE" not in n and "Subquery" not in n]
    return ", ".join(dict.fromkeys(scans))


def _buffers(plan: dict[str, Any]) -> str:
    hit = plan.get("Shared Hit Blocks", 0)
    read = plan.get("Shared Read Blocks", 0)
    temp = plan.get("Temp Read Blocks", 0) + plan.get("Temp Written Blocks", 0)
    return f"{hit:,} hit / {read:,} read" + (f" / {temp:,} temp" if temp else "")


async def explain(conn: asyncpg.Connection, args: argparse.Namespace) -> None:
    last = await conn.fetchval(
        "SELECT max(day) FROM ticketing.tickets WHERE site_id = $1", args.site
    )
    actor = Actor("history", args.site, "admin", ())
    periods = {
        "month": await reports.period(conn, actor, args.site, last - timedelta(days=29), last),
        "year": await reports.period(conn, actor, args.site, last - timedelta(days=364), last),
    }
    count = await conn.fetchval(
        "SELECT count(*) FROM ticketing.tickets WHERE site_id = $1", args.site
    )
    await conn.execute(f"SET work_mem = '{reports.REPORT_WORK_MEM}'")  # as reports.build does
    version = await conn.fetchval("SHOW server_version")
    work_mem = await conn.fetchval("SHOW work_mem")
    print(f"\n{count:,} tickets of {args.site}; PostgreSQL {version}, work_mem {work_mem}\n")
    plans_out: dict[str, Any] = {}
    for label, p in periods.items():
        print(f"### {label}: {p.first} … {p.last}\n")
        print("| query | rows in | execution ms | scan | buffers |")
        print("| --- | ---: | ---: | --- | --- |")
        for name, sql in reports.QUERIES.items():
            args_ = reports.query_args(name, p)
            await conn.fetch(sql, *args_)  # warm the cache as a second report would
            raw = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, *args_)
            doc = json.loads(raw) if isinstance(raw, str) else raw
            top = doc[0]
            plan = top["Plan"]
            rows_in = int(
                max(
                    (
                        n.get("Actual Rows", 0)
                        for n in _walk(plan)
                        if "Scan" in n["Node Type"] and "CTE" not in n["Node Type"]
                    ),
                    default=0,
                )
            )
            plans_out[f"{label}/{name}"] = top
            print(
                f"| {name} | {rows_in:,} | {top['Execution Time']:.1f} | {_scan(plan)} | "
                f"{_buffers(plan)} |"
            )
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            await reports.build(conn, p)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"\nwhole report (JSON, all queries) {label}: "
            + ", ".join(f"{t:.0f} ms" for t in timings)
            + "\n"
        )
    if args.plans:
        text = json.dumps(plans_out, indent=1, default=str)
        await asyncio.to_thread(Path(args.plans).write_text, text)
        print(f"plans written to {args.plans}")


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


async def main(args: argparse.Namespace) -> None:
    server: EmbeddedPostgres | None = None
    url = args.database_url
    if not url:
        server = EmbeddedPostgres(REPO / ".data" / "history-postgres").start()
        url = server.url()
    try:
        conn = await connect(await _database(url))
        try:
            if not args.explain_only:
                await load(conn, args)
            await explain(conn, args)
        finally:
            await conn.close()
    finally:
        if server is not None:
            server.stop()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL server (default: embedded)"
    )
    parser.add_argument("--site", default="balangan")
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--end", type=date.fromisoformat, default=None, help="last day (default: yesterday)"
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--explain-only", action="store_true", help="reuse the loaded history")
    parser.add_argument("--plans", default="", help="write the JSON plans to this file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
