# ruff: noqa: B023, ASYNC110
# B023: the closures in the measuring loops are awaited within their own iteration.
# ASYNC110: polling at 10-100 ms is how the bench waits for events it only observes.
"""`make bench`: the system's throughput and latency, beside the raw ceilings underneath.

Starts the system as `make run` does (`python -m scripts.run`: embedded broker and
PostgreSQL on free ports in a temporary data dir, unless KAFKA_BOOTSTRAP_SERVERS /
DATABASE_URL are set), then measures in one run:

1. issuance: tickets/s through HTTP at saturation (closed loop), p50/p99 at 25/50/75 %
   of it with open-loop load (latency from the intended send time); ceiling: the same
   writes (daily number + ticket + outbox row + NOTIFY) by asyncpg directly;
2. call to board: call-next sent → ticket-called SSE event at a board client, open
   loop at 10 and 100 calls/s; ceiling: a bare aiokafka producer → group-less consumer
   on the same broker, with the display's fetch_max_wait_ms;
3. fan-out: 100 / 1,000 / 5,000 board SSE clients on one display; per client, call
   sent → ticket-called received; ceiling: a bare asyncio server writing one frame to
   as many sockets, read by the same clients;
4. notifier: ticket issued (its issued_at) → SMS POST at a local gateway, and SMS/s
   draining a backlog; ceiling: the gateway's own requests/s from a bare client;
5. footprint: RSS of each service idle and at peak (VmHWM), `make run` time to healthy;
6. many sites: a second `make run` with N generated sites × 15 counters and a
   compressed busy morning; issuance, call-to-board, notifier latency and consumer lag.

Prints a Markdown table and writes JSON under bench/results/. `--quick`: a few seconds
per figure, fewer clients and sites.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.client import Gateway, HttpPool, SseClient
from bench.sites import GeneratedSite, generate
from bench.system import RunningSystem, start_system
from shared.embedded import free_port

SITE = "balangan"
RAW_SITE = "bench-001"
RESULTS = Path(__file__).parent / "results"
CALLED = b"event: ticket-called\n"
TICKET_ID = re.compile(rb'"ticket_id":"([0-9a-f-]{36})"')
OCCURRED = re.compile(rb'"occurred_at":"([^"]+)"')
WALL = time.time() - time.perf_counter()  # perf_counter → wall clock (events carry wall time)


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_ms(values_s: list[float]) -> dict[str, float]:
    return {
        "n": len(values_s),
        "p50_ms": pct(values_s, 50) * 1000,
        "p99_ms": pct(values_s, 99) * 1000,
        "max_ms": (max(values_s) * 1000) if values_s else float("nan"),
    }


def raise_fd_limit() -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 20
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_loop(
    rate: float, seconds: float, send: Callable[[int, float], Coroutine[Any, Any, None]]
) -> None:
    """Start `send(i, intended_time)` at fixed times, never waiting for earlier ones."""
    n = max(1, int(rate * seconds))
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    for i in range(n):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i, at)))
    failures = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if r is not None]
    if failures:
        log(f"{len(failures)} of {n} requests failed, first: {failures[0]!r}")


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------------------------- 1


async def services_of(api: HttpPool, site: str) -> dict[str, Any]:
    status, body = await api.json("GET", f"/api/sites/{site}")
    assert status == 200, (status, body)
    return dict(body)


async def bench_issuance(
    system: RunningSystem, seconds: float, concurrency: int, open_seconds: float
) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    services = [s["id"] for s in (await services_of(api, SITE))["services"]]
    path = f"/api/sites/{SITE}/tickets"
    errors = 0

    async def closed(sec: float) -> tuple[int, float]:
        nonlocal errors
        done = 0
        stop_at = time.perf_counter() + sec

        async def kiosk(i: int) -> None:
            nonlocal done, errors
            n = i
            while time.perf_counter() < stop_at:
                status, _ = await api.request(
                    "POST", path, {"service_id": services[n % len(services)]}
                )
                n += concurrency
                if status == 201:
                    done += 1
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(kiosk(i) for i in range(concurrency)))
        return done, time.perf_counter() - started

    await closed(1.0)  # warm up: connections, caches, JIT-less Python's first paths
    done, elapsed = await closed(seconds)
    saturation = done / elapsed
    log(f"issuance saturation {saturation:.0f}/s ({concurrency} kiosks)")
    levels = {}
    for share in (0.25, 0.5, 0.75):
        rate = saturation * share
        lat: list[float] = []
        bad = 0

        async def one(i: int, at: float) -> None:
            nonlocal bad
            status, _ = await api.request("POST", path, {"service_id": services[i % len(services)]})
            if status == 201:
                lat.append(time.perf_counter() - at)
            else:
                bad += 1

        await open_loop(rate, open_seconds, one)
        levels[f"{int(share * 100)}"] = {"rate_per_s": rate, "errors": bad, **summary_ms(lat)}
        log(f"issuance at {share:.0%} ({rate:.0f}/s): {levels[str(int(share * 100))]}")
    await api.close()
    return {
        "tickets_per_s": saturation,
        "concurrency": concurrency,
        "seconds": seconds,
        "errors": errors,
        "open_loop": levels,
    }


async def bench_raw_issuance(database_url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """The ceiling: what an issue writes, by asyncpg directly — the service's daily
    number (lock_service_day + count_issued), the ticket row, the site's event sequence
    and the outbox row (record_events), NOTIFY; one transaction each. The outbox row is
    written as already published so the relay leaves it alone."""
    import asyncpg

    pool = await asyncpg.create_pool(database_url, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    services = [
        r["id"]
        for r in await pool.fetch(
            "SELECT id FROM ticketing.services WHERE site_id = $1 AND active", RAW_SITE
        )
    ]
    payload = json.dumps({"pad": "x" * 900})  # a ticket-issued event is about 1 KB
    count = 0

    async def worker(w: int) -> None:
        nonlocal count
        n = w
        async with pool.acquire() as conn:
            while time.perf_counter() < stop_at:
                service_id = services[n % len(services)]
                n += concurrency
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
                count += 1

    stop_at = time.perf_counter() + 1.0
    await asyncio.gather(*(worker(w) for w in range(concurrency)))  # warm up
    count = 0
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    await pool.close()
    log(f"raw issuance ceiling {count / elapsed:.0f} tx/s ({concurrency} connections)")
    return {"transactions_per_s": count / elapsed, "concurrency": concurrency}


# ---------------------------------------------------------------------------------- 2


class CallRecorder:
    """On one SSE client: when each ticket-called's ticket id first arrived."""

    def __init__(self, client: SseClient) -> None:
        self.arrived: dict[str, float] = {}
        self.occurred: dict[str, float] = {}  # the event's occurred_at (commit), wall clock
        self._buf = b""
        client.on_data = self.feed

    def feed(self, chunk: bytes, now: float) -> None:
        buf = self._buf + chunk
        frames = buf.split(b"\n\n")
        self._buf = frames.pop()
        for frame in frames:
            if frame.startswith(b"event: ticket-called") or b"\nevent: ticket-called" in frame:
                m = TICKET_ID.search(frame)
                if m:
                    tid = m.group(1).decode()
                    self.arrived.setdefault(tid, now)
                    o = OCCURRED.search(frame)
                    if o:
                        self.occurred.setdefault(tid, epoch(o.group(1).decode()))


async def operator_tokens(
    api: HttpPool, system: RunningSystem, counters: list[str]
) -> dict[str, str]:
    tokens = {}
    for cid in counters:
        status, body = await api.json(
            "POST", "/api/auth/token", form={"username": cid, "password": system.password}
        )
        assert status == 200, (status, body)
        tokens[cid] = body["access_token"]
    return tokens


async def bench_call_to_board(
    system: RunningSystem, rates: list[float], seconds: float
) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    site = await services_of(api, SITE)
    counters = [c["id"] for c in site["counters"]]
    tokens = await operator_tokens(api, system, counters)
    # enough waiting tickets at every counter (the issuance figure left thousands too)
    need = int(sum(rates) * seconds) + 4 * len(counters)
    for i in range(need):
        c = site["counters"][i % len(counters)]
        await api.request("POST", f"/api/sites/{SITE}/tickets", {"service_id": c["service_ids"][0]})
    board = SseClient(system.display, f"/api/sites/{SITE}/board/stream")
    recorder = CallRecorder(board)
    await board.connect()
    await asyncio.wait_for(board.snapshot.wait(), 10)
    out = {}
    for rate in rates:
        sent: list[tuple[float, str]] = []
        empty = 0

        async def call(i: int, at: float) -> None:
            nonlocal empty
            cid = counters[i % len(counters)]
            status, body = await api.json(
                "POST",
                f"/api/sites/{SITE}/counters/{cid}/call-next",
                headers={"Authorization": f"Bearer {tokens[cid]}"},
            )
            if status == 200:
                sent.append((at, body["id"]))
            else:
                empty += 1

        await open_loop(rate, seconds, call)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(t in recorder.arrived for _, t in sent):
            await asyncio.sleep(0.05)
        lat = [recorder.arrived[t] - at for at, t in sent if t in recorder.arrived]
        # where the time goes: request sent → the call committed (ticketing: HTTP + SQL),
        # and committed → on the board (relay, broker, display, SSE)
        to_commit = [recorder.occurred[t] - (at + WALL) for at, t in sent if t in recorder.occurred]
        after_commit = [
            recorder.arrived[t] + WALL - recorder.occurred[t]
            for _, t in sent
            if t in recorder.occurred and t in recorder.arrived
        ]
        out[f"{rate:g}"] = {
            "sent_to_commit": summary_ms(to_commit),
            "commit_to_board": summary_ms(after_commit),
            "rate_per_s": rate,
            "calls": len(sent),
            "missing": len(sent) - len(lat),
            "not_200": empty,
            **summary_ms(lat),
        }
        log(f"call→board at {rate:g}/s: {out[f'{rate:g}']}")
    await board.close()
    await api.close()
    return out


async def bench_bare_kafka(
    bootstrap: str, rates: list[float], seconds: float, fetch_max_wait_ms: int
) -> dict[str, Any]:
    """A bare producer (acks=all, linger 0, as the relay) → group-less consumer
    (assigned, as the display) with the display's fetch_max_wait_ms."""
    topic = f"bench-latency-{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, fetch_max_wait_ms=fetch_max_wait_ms
    )
    await producer.start()
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_end(tp)
    out = {}
    try:
        for rate in rates:
            arrived: dict[int, float] = {}
            intended: dict[int, float] = {}
            n = max(1, int(rate * seconds))
            base = random.randrange(1 << 30)

            async def consume() -> None:
                while len(arrived) < n:
                    batch = await consumer.getmany(tp, timeout_ms=200)
                    now = time.perf_counter()
                    for r in batch.get(tp, []):
                        k = int(r.value or b"0") - base
                        if 0 <= k < n:
                            arrived.setdefault(k, now)

            reader = asyncio.create_task(consume())

            async def send(i: int, at: float) -> None:
                intended[i] = at
                await producer.send_and_wait(topic, str(base + i).encode(), key=b"bench")

            await open_loop(rate, seconds, send)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader, 10)
            lat = [arrived[i] - intended[i] for i in arrived if i in intended]
            out[f"{rate:g}"] = {"rate_per_s": rate, "sent": n, **summary_ms(lat)}
            log(
                f"bare kafka at {rate:g}/s (fetch_max_wait_ms={fetch_max_wait_ms}): "
                f"{out[f'{rate:g}']}"
            )
    finally:
        await consumer.stop()
        await producer.stop()
    return {"fetch_max_wait_ms": fetch_max_wait_ms, "rates": out}


# ---------------------------------------------------------------------------------- 3


async def connect_clients(base: str, path: str, n: int) -> list[SseClient]:
    clients = [SseClient(base, path) for _ in range(n)]
    for i in range(0, n, 200):
        batch = clients[i : i + 200]
        await asyncio.gather(*(c.connect() for c in batch))
        await asyncio.wait_for(asyncio.gather(*(c.snapshot.wait() for c in batch)), 60)
    return clients


async def measure_fanout(
    clients: list[SseClient], trigger: Callable[[], Awaitable[None]], rounds: int
) -> list[float]:
    delays: list[float] = []
    for _ in range(rounds):
        for c in clients:
            c.seen.clear()
            c.watched = {CALLED}
        t0 = time.perf_counter()
        await trigger()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(CALLED not in c.seen for c in clients):
            await asyncio.sleep(0.01)
        delays += [c.seen[CALLED] - t0 for c in clients if CALLED in c.seen]
        delays += [float("inf")] * sum(CALLED not in c.seen for c in clients)
        await asyncio.sleep(0.5)
    return delays


async def bench_fanout(system: RunningSystem, sizes: list[int], rounds: int) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    site = await services_of(api, SITE)
    cid = site["counters"][0]["id"]
    token = (await operator_tokens(api, system, [cid]))[cid]
    for _ in range(rounds * len(sizes) + 4):
        await api.request(
            "POST",
            f"/api/sites/{SITE}/tickets",
            {"service_id": site["counters"][0]["service_ids"][0]},
        )

    async def call() -> None:
        status, _ = await api.request(
            "POST",
            f"/api/sites/{SITE}/counters/{cid}/call-next",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert status == 200, status

    out: dict[str, Any] = {}
    for n in sizes:
        clients = await connect_clients(system.display, f"/api/sites/{SITE}/board/stream", n)
        cpu0 = cpu_s(system.pids["display"])
        delays = await measure_fanout(clients, call, rounds)
        # less sensitive to a busy machine than latency: the display's CPU per delivery
        # (rounds include 0.5 s idle each and the call's other events)
        cpu_us = (cpu_s(system.pids["display"]) - cpu0) / (rounds * n) * 1e6
        await asyncio.gather(*(c.close() for c in clients))
        # the ceiling in a child process (as the display is one): same clients, same frame
        bare = await bare_fanout_ceiling(n, rounds)
        out[str(n)] = {
            "clients": n,
            "display": summary_ms(delays),
            "display_cpu_us_per_client_per_call": cpu_us,
            "bare_asyncio": bare,
            "dropped_or_late": sum(d == float("inf") for d in delays),
        }
        log(f"fan-out {n}: display {out[str(n)]['display']} bare {bare} cpu/client {cpu_us:.0f} µs")
        await asyncio.sleep(1.0)
    await api.close()
    return out


async def bare_fanout_ceiling(n: int, rounds: int) -> dict[str, float]:
    """Run BareFanout in a child process (so it has its own core, as the display does)
    and measure it with the same clients."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_fanout",
        str(port),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    await proc.stdout.readline()  # "ready"
    clients = await connect_clients(f"http://127.0.0.1:{port}", "/", n)

    async def fire() -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"fire\n")
        await proc.stdin.drain()

    delays = await measure_fanout(clients, fire, rounds)
    await asyncio.gather(*(c.close() for c in clients))
    proc.stdin.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), 5)
    if proc.returncode is None:
        proc.kill()
    return summary_ms(delays)


# ---------------------------------------------------------------------------------- 4


def issued_sms_by_ticket(gateway: Gateway, since: int = 0) -> dict[str, float]:
    out: dict[str, Any] = {}
    for at, sms in gateway.received[since:]:
        if sms.get("kind") == "issued":
            m = re.search(r"/t/([0-9a-f-]{36})", sms.get("text", ""))
            if m:
                out.setdefault(m.group(1), at)
    return out


async def bench_notifier(
    system: RunningSystem, gateway: Gateway, rate: float, seconds: float, backlog: int
) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    services = [s["id"] for s in (await services_of(api, SITE))["services"]]
    path = f"/api/sites/{SITE}/tickets"
    issued: dict[str, float] = {}

    async def one(i: int, at: float) -> None:
        status, body = await api.json(
            "POST",
            path,
            {
                "service_id": services[i % len(services)],
                "phone": f"0812{random.randrange(10**8):08d}",
            },
        )
        if status == 201:
            issued[body["id"]] = epoch(body["issued_at"])

    mark = len(gateway.received)
    await open_loop(rate, seconds, one)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        got = issued_sms_by_ticket(gateway, mark)
        if all(t in got for t in issued):
            break
        await asyncio.sleep(0.1)
    got = issued_sms_by_ticket(gateway, mark)
    lat = [got[t] - issued[t] for t in issued if t in got]
    latency = {
        "rate_per_s": rate,
        "tickets": len(issued),
        "missing": len(issued) - len(lat),
        **summary_ms(lat),
    }
    log(f"notifier latency at {rate:g}/s: {latency}")

    # saturation: hold the notifier (SIGSTOP) while a backlog of phone tickets builds up
    # in Kafka, then let it go and time the drain at the gateway
    await asyncio.sleep(1.0)
    pid = system.pids["notifier"]
    mark = len(gateway.received)
    os.kill(pid, signal.SIGSTOP)
    try:
        done = 0

        async def kiosk(i: int) -> None:
            nonlocal done
            while done < backlog:
                done += 1
                await api.request(
                    "POST",
                    path,
                    {
                        "service_id": services[done % len(services)],
                        "phone": f"0813{random.randrange(10**8):08d}",
                    },
                )

        await asyncio.gather(*(kiosk(i) for i in range(16)))
    finally:
        resumed = time.time()
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(gateway.received) - mark < backlog:
        await asyncio.sleep(0.1)
    arrivals = [at for at, _ in gateway.received[mark:]]
    drained = len(arrivals)
    rate_sat = (drained - 1) / (arrivals[-1] - arrivals[0]) if drained > 1 else float("nan")
    saturation = {
        "backlog": backlog,
        "delivered": drained,
        "sms_per_s": rate_sat,
        "first_after_resume_s": (arrivals[0] - resumed) if arrivals else float("nan"),
    }
    log(f"notifier saturation: {saturation}")

    # ceiling: the gateway's own rate, from a bare keep-alive client, 8 at a time
    # (the notifier's SMS_CONCURRENCY default)
    gw = HttpPool(gateway.url.rsplit("/", 1)[0])
    mark = len(gateway.received)
    stop_at = time.perf_counter() + 2.0
    body = {
        "to": "+6281200000000",
        "text": "x" * 140,
        "event_id": str(uuid.uuid4()),
        "kind": "bench",
    }

    async def post() -> None:
        while time.perf_counter() < stop_at:
            await gw.request("POST", "/sms", body)

    started = time.perf_counter()
    await asyncio.gather(*(post() for _ in range(8)))
    gateway_rate = (len(gateway.received) - mark) / (time.perf_counter() - started)
    del gateway.received[mark:]
    await gw.close()
    await api.close()
    return {"latency": latency, "saturation": saturation, "gateway_ceiling_per_s": gateway_rate}


# ---------------------------------------------------------------------------------- 6


async def notifier_lag(bootstrap: str, group: str = "notifier") -> int | None:
    """Messages the notifier's group has not committed yet, over the three topics."""
    from shared import topics

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        await admin.start()
        await consumer.start()
        committed = await admin.list_consumer_group_offsets(group)
        parts = [
            TopicPartition(t, p)
            for t in topics.EVENT_TOPICS
            for p in (consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        ends = await consumer.end_offsets(parts)
        return int(
            sum(
                max(
                    0,
                    ends[tp]
                    - (
                        committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0
                    ),
                )
                for tp in parts
            )
        )
    except Exception as exc:
        log(f"lag unavailable: {exc!r}")
        return None
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or {0}


async def bench_many_sites(
    system: RunningSystem,
    gateway: Gateway,
    sites: list[GeneratedSite],
    issue_rate: float,
    seconds: float,
) -> dict[str, Any]:
    from services.ticketing.actors import Actor
    from services.ticketing.auth import issue_token

    api = HttpPool(system.ticketing)
    tokens = {
        cid: issue_token(Actor(cid, s.id, "operator", (cid,)), system.token_secret, 3600)
        for s in sites
        for cid, _ in s.counters
    }
    boards = []
    recorders: dict[str, CallRecorder] = {}
    for s in sites:
        c = SseClient(system.display, f"/api/sites/{s.id}/board/stream")
        recorders[s.id] = CallRecorder(c)
        boards.append(c)
    for i in range(0, len(boards), 100):
        await asyncio.gather(*(c.connect() for c in boards[i : i + 100]))
    await asyncio.wait_for(asyncio.gather(*(c.snapshot.wait() for c in boards)), 60)
    log(f"many sites: {len(boards)} boards connected")

    issue_lat: list[float] = []
    issued_phone: dict[str, float] = {}
    calls: list[tuple[str, float, str]] = []
    errors = 0
    rng = random.Random(7)
    lag_samples: list[tuple[float, int]] = []
    mark = len(gateway.received)

    async def issue(i: int, at: float) -> None:
        nonlocal errors
        s = sites[rng.randrange(len(sites))]
        body: dict[str, Any] = {"service_id": s.services[rng.randrange(len(s.services))]}
        if i % 10 == 0:
            body["phone"] = f"0815{rng.randrange(10**8):08d}"
        status, answer = await api.json("POST", f"/api/sites/{s.id}/tickets", body)
        if status == 201:
            issue_lat.append(time.perf_counter() - at)
            if "phone" in body:
                issued_phone[answer["id"]] = epoch(answer["issued_at"])
        else:
            errors += 1

    async def call(i: int, at: float) -> None:
        s = sites[rng.randrange(len(sites))]
        cid, _ = s.counters[rng.randrange(len(s.counters))]
        status, answer = await api.json(
            "POST",
            f"/api/sites/{s.id}/counters/{cid}/call-next",
            headers={"Authorization": f"Bearer {tokens[cid]}"},
        )
        if status == 200:
            calls.append((s.id, at, answer["id"]))

    async def sample_lag(stop: asyncio.Event) -> None:
        while not stop.is_set():
            lag = await notifier_lag(system.kafka)
            if lag is None:
                return  # this broker does not answer OffsetFetch for aiokafka's admin (Tansu)
            lag_samples.append((time.perf_counter(), lag))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    # a morning: the first fifth only issues (queues build), then calls at 80 % of arrivals
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(stop))
    started = time.perf_counter()
    await asyncio.gather(
        open_loop(issue_rate, seconds, issue),
        _delayed(seconds * 0.2, open_loop(issue_rate * 0.8, seconds * 0.8, call)),
    )
    load_s = time.perf_counter() - started
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(t in recorders[sid].arrived for sid, _, t in calls) and all(
            t in issued_sms_by_ticket(gateway, mark) for t in issued_phone
        ):
            break
        await asyncio.sleep(0.2)
    drained_after_s = time.perf_counter() - started - load_s
    stop.set()
    await sampler
    final_lag = await notifier_lag(system.kafka) if lag_samples else None
    board_lat = [
        recorders[sid].arrived[t] - at for sid, at, t in calls if t in recorders[sid].arrived
    ]
    got = issued_sms_by_ticket(gateway, mark)
    sms_lat = [got[t] - issued_phone[t] for t in issued_phone if t in got]
    await asyncio.gather(*(c.close() for c in boards))
    await api.close()
    out = {
        "sites": len(sites),
        "counters_per_site": len(sites[0].counters) if sites else 0,
        "issue_rate_per_s": issue_rate,
        "call_rate_per_s": issue_rate * 0.8,
        "seconds": seconds,
        "issuance": {"errors": errors, **summary_ms(issue_lat)},
        "call_to_board": {
            "calls": len(calls),
            "missing": len(calls) - len(board_lat),
            **summary_ms(board_lat),
        },
        "notifier": {
            "sms": len(issued_phone),
            "missing": len(issued_phone) - len(sms_lat),
            **summary_ms(sms_lat),
        },
        "notifier_lag_max": max((lag for _, lag in lag_samples), default=None),
        "notifier_lag_final": final_lag,
        "drained_after_load_s": drained_after_s,
    }
    log(f"many sites: {out}")
    return out


async def _delayed(seconds: float, coro: Awaitable[None]) -> None:
    await asyncio.sleep(seconds)
    await coro


# ---------------------------------------------------------------------------------- report


@dataclass
class Modes:
    issue_s: float
    open_s: float
    concurrency: int
    board_s: float
    fanout: list[int]
    fanout_rounds: int
    sms_rate: float
    sms_s: float
    sms_backlog: int
    sites: int
    morning_s: float


QUICK = Modes(3, 3, 32, 3, [100, 1000], 3, 20, 3, 300, 30, 10)
FULL = Modes(10, 8, 32, 10, [100, 1000, 5000], 5, 20, 10, 1000, 300, 30)


def f1(x: float | None) -> str:
    return "n/a" if x is None or x != x else f"{x:.1f}"


def build_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    iss, raw = r["issuance"], r["raw_issuance"]
    rows = [
        (
            "issuance, tickets/s at saturation (HTTP)",
            f"{iss['tickets_per_s']:.0f}",
            f"{raw['transactions_per_s']:.0f} tx/s (asyncpg, same writes)",
            f"{iss['tickets_per_s'] / raw['transactions_per_s']:.0%}",
        )
    ]
    for share, lv in iss["open_loop"].items():
        rows.append(
            (
                f"issuance p50 / p99 at {share} % ({lv['rate_per_s']:.0f}/s, open loop)",
                f"{f1(lv['p50_ms'])} / {f1(lv['p99_ms'])} ms",
                "",
                "",
            )
        )
    bare = r["bare_kafka"]
    for rate, b in r["call_to_board"].items():
        k = bare["rates"].get(rate, {})
        rows.append(
            (
                f"call→board p50 / p99 / max at {rate} calls/s",
                f"{f1(b['p50_ms'])} / {f1(b['p99_ms'])} / {f1(b['max_ms'])} ms",
                f"{f1(k.get('p50_ms'))} / {f1(k.get('p99_ms'))} / {f1(k.get('max_ms'))} ms "
                f"(bare aiokafka, fetch_max_wait {bare['fetch_max_wait_ms']} ms)",
                f"p99 {b['p99_ms'] / k['p99_ms']:.1f}×" if k.get("p99_ms") else "",
            )
        )
    for rate, b in r["call_to_board"].items():
        k = bare["rates"].get(rate, {})
        c, t = b["commit_to_board"], b["sent_to_commit"]
        rows.append(
            (
                f"  of which committed → on the board (relay, broker, display) at {rate}/s; "
                f"sent → committed (ticketing) p50 / p99 {f1(t['p50_ms'])} / {f1(t['p99_ms'])} ms",
                f"{f1(c['p50_ms'])} / {f1(c['p99_ms'])} / {f1(c['max_ms'])} ms",
                f"{f1(k.get('p50_ms'))} / {f1(k.get('p99_ms'))} / {f1(k.get('max_ms'))} ms",
                f"p99 {c['p99_ms'] / k['p99_ms']:.1f}×" if k.get("p99_ms") else "",
            )
        )
    for n, fo in r["fanout"].items():
        d, b = fo["display"], fo["bare_asyncio"]
        rows.append(
            (
                f"fan-out: {int(n):,} board clients, call sent → each has it, p50 / p99 / max "
                f"(display CPU {fo['display_cpu_us_per_client_per_call']:.0f} µs/client/call)",
                f"{f1(d['p50_ms'])} / {f1(d['p99_ms'])} / {f1(d['max_ms'])} ms",
                f"{f1(b['p50_ms'])} / {f1(b['p99_ms'])} / {f1(b['max_ms'])} ms "
                "(bare asyncio server)",
                f"p99 {d['p99_ms'] / b['p99_ms']:.1f}×" if b["p99_ms"] else "",
            )
        )
    n = r["notifier"]
    k100 = bare["rates"].get("10", {})
    rows += [
        (
            f"notifier: issued → SMS at gateway p50 / p99 / max ({n['latency']['rate_per_s']:g}/s)",
            f"{f1(n['latency']['p50_ms'])} / {f1(n['latency']['p99_ms'])} / "
            f"{f1(n['latency']['max_ms'])} ms",
            f"{f1(k100.get('p50_ms'))} / {f1(k100.get('p99_ms'))} ms (bare aiokafka, 10/s)",
            "",
        ),
        (
            f"notifier: SMS/s draining a {n['saturation']['backlog']}-event backlog",
            f"{n['saturation']['sms_per_s']:.0f}",
            f"{n['gateway_ceiling_per_s']:.0f} req/s (gateway, bare client ×8)",
            "the gateway is not the bound",
        ),
    ]
    fp = r["footprint"]
    for s in ("ticketing", "notifier", "display"):
        rows.append(
            (
                f"RSS {s}: idle / peak under load (CPU idle)",
                f"{fp['idle_mb'][s]:.0f} / {fp['peak_mb'][s]:.0f} MB "
                f"({fp['idle_cpu_share'][s]:.1%} of a core)",
                "",
                "",
            )
        )
    rows.append(("`make run` to all healthy", f"{fp['startup_s']:.1f} s", "", ""))
    m = r.get("many_sites")
    if m:
        rows += [
            (
                f"many sites ({m['sites']}×{m['counters_per_site']} counters): "
                "`make run` to healthy",
                f"{m['startup_s']:.1f} s",
                "",
                "",
            ),
            (
                f"many sites: issuance p50 / p99 ({m['issue_rate_per_s']:.0f}/s + "
                f"{m['call_rate_per_s']:.0f} calls/s)",
                f"{f1(m['issuance']['p50_ms'])} / {f1(m['issuance']['p99_ms'])} ms",
                "",
                "",
            ),
            (
                "many sites: call→board p50 / p99 / max",
                f"{f1(m['call_to_board']['p50_ms'])} / {f1(m['call_to_board']['p99_ms'])} / "
                f"{f1(m['call_to_board']['max_ms'])} ms",
                "",
                "",
            ),
            (
                "many sites: notifier issued → SMS p50 / p99",
                f"{f1(m['notifier']['p50_ms'])} / {f1(m['notifier']['p99_ms'])} ms",
                "",
                "",
            ),
            (
                "many sites: notifier group lag max / at end (events; n/a: the broker does not "
                "answer OffsetFetch); all calls on their boards and SMS sent, after load",
                f"{m['notifier_lag_max']} / {m['notifier_lag_final']}; "
                f"{m['drained_after_load_s']:.1f} s",
                "",
                "",
            ),
            (
                "many sites: RSS ticketing / notifier / display at peak",
                " / ".join(f"{m['peak_mb'][s]:.0f}" for s in ("ticketing", "notifier", "display"))
                + " MB",
                "",
                "",
            ),
        ]
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    out = ["| figure | value | ceiling | ratio |", "| --- | --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


def targets(r: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []
    iss, raw = r["issuance"], r["raw_issuance"]
    ratio = iss["tickets_per_s"] / raw["transactions_per_s"]
    out.append(("issuance ≥ 60 % of the raw ceiling", ratio >= 0.6, f"{ratio:.0%}"))
    p99 = iss["open_loop"]["50"]["p99_ms"]
    out.append(("issuance p99 ≤ 50 ms at 50 % of saturation", p99 <= 50, f"{p99:.1f} ms"))
    b = r["call_to_board"].get("100")
    k = r["bare_kafka"]["rates"].get("100")
    if b and k:
        out.append(("call→board p50 ≤ 15 ms at 100/s", b["p50_ms"] <= 15, f"{b['p50_ms']:.1f} ms"))
        out.append(("call→board p99 ≤ 50 ms at 100/s", b["p99_ms"] <= 50, f"{b['p99_ms']:.1f} ms"))
        out.append(
            (
                "call→board p99 ≤ 3× bare broker p99",
                b["p99_ms"] <= 3 * k["p99_ms"],
                f"{b['p99_ms'] / k['p99_ms']:.1f}×",
            )
        )
    fo = r["fanout"].get("5000")
    out.append(
        (
            "5,000 board clients get a call within 250 ms p99",
            None if fo is None else fo["display"]["p99_ms"] <= 250,
            "not run (--quick)" if fo is None else f"{fo['display']['p99_ms']:.1f} ms",
        )
    )
    n = r["notifier"]["latency"]["p99_ms"]
    out.append(("notifier p99 ≤ 100 ms event → gateway", n <= 100, f"{n:.1f} ms"))
    for s, mb in r["footprint"]["idle_mb"].items():
        out.append((f"{s} ≤ 120 MB RSS idle", mb <= 120, f"{mb:.0f} MB"))
    return out


@contextlib.asynccontextmanager
async def profiled(system: RunningSystem, phase: str, out_dir: Path | None) -> Any:
    """With --profile: py-spy records every service during the phase (collapsed stacks,
    `<tmp>/profile-<phase>-<service>.txt`; py-spy must be installed)."""
    if out_dir is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    procs = [
        await asyncio.create_subprocess_exec(
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(out_dir / f"profile-{phase}-{name}.txt"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for name, pid in system.pids.items()
    ]
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGINT)
        await asyncio.gather(*(p.wait() for p in procs))


async def rss_sampler(system: RunningSystem, peak: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for s in system.pids:
            with contextlib.suppress(OSError, KeyError):
                peak[s] = max(peak.get(s, 0.0), system.rss_mb(s))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": mem,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = QUICK if args.quick else FULL
    if args.sites is not None:
        mode.sites = args.sites
    fds = raise_fd_limit()

    prof = Path(tempfile.mkdtemp(prefix="antrian-bench-profiles-")) if args.profile else None
    if prof is not None:
        log(f"py-spy profiles go to {prof}")

    def want(phase: str) -> bool:
        return not args.only or phase in args.only

    result: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "loadavg_start": os.getloadavg(),
        "fd_limit": fds,
    }
    log(f"mode {result['mode']}, load average at start {result['loadavg_start']}")
    gateway = Gateway(free_port())
    await gateway.start()
    tmp = Path(tempfile.mkdtemp(prefix="antrian-bench-"))
    from services.display.settings import DisplaySettings

    display_wait = DisplaySettings().kafka_fetch_max_wait_ms  # what the display will use
    env = {
        "SMS_PROVIDER": "webhook",
        "SMS_WEBHOOK_URL": gateway.url,
        "SITES_DIR": str(tmp / "sites"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    generate(tmp / "sites", 1)  # the demo sites + bench-001, the raw ceiling's site
    try:
        log("starting the system (make run) …")
        async with start_system(tmp / "data", env) as system:
            log(f"healthy after {system.startup_s:.1f}s; idle for 5 s")
            before = {s: cpu_s(p) for s, p in system.pids.items()}
            await asyncio.sleep(5)
            idle_cpu = {s: (cpu_s(p) - before[s]) / 5 for s, p in system.pids.items()}
            idle = {s: system.rss_mb(s) for s in system.pids}
            peak: dict[str, float] = {}
            stop = asyncio.Event()
            sampler = asyncio.create_task(rss_sampler(system, peak, stop))
            try:
                if want("issuance"):
                    async with profiled(system, "issuance", prof):
                        result["issuance"] = await bench_issuance(
                            system, mode.issue_s, mode.concurrency, mode.open_s
                        )
                    result["raw_issuance"] = await bench_raw_issuance(
                        system.database_url, mode.issue_s, 10
                    )
                rates = [10.0, 100.0]
                if want("board"):
                    result["call_to_board"] = await bench_call_to_board(system, rates, mode.board_s)
                    result["bare_kafka"] = await bench_bare_kafka(
                        system.kafka, rates, mode.board_s, display_wait
                    )
                if want("fanout"):
                    async with profiled(system, "fanout", prof):
                        result["fanout"] = await bench_fanout(
                            system, mode.fanout, mode.fanout_rounds
                        )
                if want("notifier"):
                    async with profiled(system, "notifier", prof):
                        result["notifier"] = await bench_notifier(
                            system, gateway, mode.sms_rate, mode.sms_s, mode.sms_backlog
                        )
            finally:
                stop.set()
                await sampler
            result["restarted"] = system.restarted()
            if result["restarted"]:
                log(f"WARNING: {result['restarted']} restarted during the run: figures disturbed")
            result["footprint"] = {
                "startup_s": system.startup_s,
                "idle_mb": idle,
                "idle_cpu_share": idle_cpu,
                "peak_mb": peak,
                "high_water_mb": {s: system.rss_mb(s, "VmHWM") for s in system.pids},
            }
        RESULTS.mkdir(exist_ok=True)  # what we have so far, should the many-sites part not end
        (RESULTS / "bench-partial.json").write_text(json.dumps(result, indent=2, default=str))
        if mode.sites and want("sites"):
            sites = generate(tmp / "many", mode.sites)
            env2 = {**env, "SITES_DIR": str(tmp / "many")}
            log(f"starting the system with {mode.sites} generated sites …")
            async with start_system(tmp / "data-many", env2, timeout_s=1800) as system:
                log(f"healthy after {system.startup_s:.1f}s")
                rate = args.morning_rate or 0.5 * result.get("issuance", {}).get(
                    "tickets_per_s", 200.0
                )
                peak2: dict[str, float] = {}
                stop2 = asyncio.Event()
                sampler2 = asyncio.create_task(rss_sampler(system, peak2, stop2))
                try:
                    many = await bench_many_sites(system, gateway, sites, rate, mode.morning_s)
                finally:
                    stop2.set()
                    await sampler2
                many["restarted"] = system.restarted()
                many["startup_s"] = system.startup_s
                many["peak_mb"] = peak2
                many["high_water_mb"] = {s: system.rss_mb(s, "VmHWM") for s in system.pids}
                result["many_sites"] = many
    finally:
        await gateway.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_end"] = os.getloadavg()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per figure")
    parser.add_argument("--sites", type=int, default=None, help="generated sites (0: skip)")
    parser.add_argument(
        "--only",
        action="append",
        choices=("issuance", "board", "fanout", "notifier", "sites"),
        help="run only this part (repeatable; partial runs print what they measured)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy every service per part")
    parser.add_argument(
        "--morning-rate",
        type=float,
        default=None,
        help="tickets/s of the many-sites morning (default: half the measured saturation)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    args = parser.parse_args()
    import logging

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # Tansu's admin answers are noisy
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(run(args))
    if args.only:
        print(
            json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, default=str)
        )
        return
    result["rows"] = build_rows(result)
    result["targets"] = [{"target": t, "met": met, "value": v} for t, met, v in targets(result)]
    print(table(result["rows"]))
    print()
    for t in result["targets"]:
        mark = {True: "met", False: "NOT met", None: "n/a"}[t["met"]]
        print(f"- {t['target']}: {t['value']} — {mark}")
    disturbed = result.get("restarted", []) + result.get("many_sites", {}).get("restarted", [])
    if disturbed:
        print(f"\nWARNING: restarted during the run (figures disturbed): {disturbed}")
    print(
        f"\nload average {tuple(round(x, 2) for x in result['loadavg_start'])} at start, "
        f"{tuple(round(x, 2) for x in result['loadavg_end'])} at end "
        f"({result['machine']['cpus']} CPUs, {result['machine']['cpu_model']})"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS / f"bench-{result['mode']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
