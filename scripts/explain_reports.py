"""EXPLAIN (ANALYZE, BUFFERS) of every report query over the loaded history, for the last
month and the last year, and the whole report timed (`scripts.generate_history` runs it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg

from services.ticketing import reports
from services.ticketing.actors import Actor


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
