"""Figure 2, call to board: call-next sent → ticket-called SSE event at a board client,
open loop; ceiling: a bare aiokafka producer → group-less consumer on the same broker,
with the display's fetch_max_wait_ms."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.client import HttpPool, SseClient
from bench.measure import (
    SITE,
    WALL,
    epoch,
    log,
    open_loop,
    operator_tokens,
    services_of,
    summary_ms,
    wait_until,
)
from bench.system import RunningSystem

TICKET_ID = re.compile(rb'"ticket_id":"([0-9a-f-]{36})"')
OCCURRED = re.compile(rb'"occurred_at":"([^"]+)"')


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


async def calls_at(
    api: HttpPool,
    tokens: dict[str, str],
    recorder: CallRecorder,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """Call-next at `rate` over the counters round robin; each call's way to the board."""
    counters = list(tokens)
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
    await wait_until(lambda: all(t in recorder.arrived for _, t in sent), 10, 0.05)
    lat = [recorder.arrived[t] - at for at, t in sent if t in recorder.arrived]
    # where the time goes: request sent → the call committed (ticketing: HTTP + SQL),
    # and committed → on the board (relay, broker, display, SSE)
    to_commit = [recorder.occurred[t] - (at + WALL) for at, t in sent if t in recorder.occurred]
    after_commit = [
        recorder.arrived[t] + WALL - recorder.occurred[t]
        for _, t in sent
        if t in recorder.occurred and t in recorder.arrived
    ]
    return {
        "sent_to_commit": summary_ms(to_commit),
        "commit_to_board": summary_ms(after_commit),
        "rate_per_s": rate,
        "calls": len(sent),
        "missing": len(sent) - len(lat),
        "not_200": empty,
        **summary_ms(lat),
    }


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
        out[f"{rate:g}"] = await calls_at(api, tokens, recorder, rate, seconds)
        log(f"call→board at {rate:g}/s: {out[f'{rate:g}']}")
    await board.close()
    await api.close()
    return out


async def bare_kafka_at(
    producer: AIOKafkaProducer,
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """Records sent at `rate` (open loop): send → the consumer has it."""
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
        await producer.send_and_wait(tp.topic, str(base + i).encode(), key=b"bench")

    await open_loop(rate, seconds, send)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader, 10)
    lat = [arrived[i] - intended[i] for i in arrived if i in intended]
    return {"rate_per_s": rate, "sent": n, **summary_ms(lat)}


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
            out[f"{rate:g}"] = await bare_kafka_at(producer, consumer, tp, rate, seconds)
            log(
                f"bare kafka at {rate:g}/s (fetch_max_wait_ms={fetch_max_wait_ms}): "
                f"{out[f'{rate:g}']}"
            )
    finally:
        await consumer.stop()
        await producer.stop()
    return {"fetch_max_wait_ms": fetch_max_wait_ms, "rates": out}
