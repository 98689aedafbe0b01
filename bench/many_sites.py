"""Figure 6, many sites: a `make run` with N generated sites × 15 counters and a
compressed busy morning; issuance, call-to-board, notifier latency and consumer lag."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.board import CallRecorder
from bench.client import Gateway, HttpPool, SseClient
from bench.measure import epoch, log, open_loop, summary_ms, wait_until
from bench.notifier import issued_sms_by_ticket
from bench.sites import GeneratedSite
from bench.system import RunningSystem


async def notifier_lag(bootstrap: str, database_url: str) -> int | None:
    """Records of the three topics the notifier has not read yet: the topics' end offsets
    minus the offsets it stores in its schema (notifier.consumed_offsets; it has no
    consumer group)."""
    from shared import topics

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        await consumer.start()
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT topic, partition, next FROM notifier.consumed_offsets")
        finally:
            await conn.close()
        read = {TopicPartition(r["topic"], r["partition"]): r["next"] for r in rows}
        parts = [
            TopicPartition(t, p)
            for t in topics.EVENT_TOPICS
            for p in (consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        ends = await consumer.end_offsets(parts)
        return int(sum(max(0, ends[tp] - read.get(tp, 0)) for tp in parts))
    except Exception as exc:
        log(f"lag unavailable: {exc!r}")
        return None
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or {0}


@dataclass
class Morning:
    """What one busy morning over many sites sent, and when."""

    sites: list[GeneratedSite]
    api: HttpPool
    tokens: dict[str, str]
    issue_lat: list[float] = field(default_factory=list)
    issued_phone: dict[str, float] = field(default_factory=dict)
    calls: list[tuple[str, float, str]] = field(default_factory=list)
    errors: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    async def issue(self, i: int, at: float) -> None:
        s = self.sites[self.rng.randrange(len(self.sites))]
        body: dict[str, Any] = {"service_id": s.services[self.rng.randrange(len(s.services))]}
        if i % 10 == 0:
            body["phone"] = f"0815{self.rng.randrange(10**8):08d}"
        status, answer = await self.api.json("POST", f"/api/sites/{s.id}/tickets", body)
        if status == 201:
            self.issue_lat.append(time.perf_counter() - at)
            if "phone" in body:
                self.issued_phone[answer["id"]] = epoch(answer["issued_at"])
        else:
            self.errors += 1

    async def call(self, i: int, at: float) -> None:
        s = self.sites[self.rng.randrange(len(self.sites))]
        cid, _ = s.counters[self.rng.randrange(len(s.counters))]
        status, answer = await self.api.json(
            "POST",
            f"/api/sites/{s.id}/counters/{cid}/call-next",
            headers={"Authorization": f"Bearer {self.tokens[cid]}"},
        )
        if status == 200:
            self.calls.append((s.id, at, answer["id"]))


async def sample_lag(
    bootstrap: str, database_url: str, samples: list[tuple[float, int]], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        lag = await notifier_lag(bootstrap, database_url)
        if lag is None:
            return
        samples.append((time.perf_counter(), lag))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def connect_boards(
    system: RunningSystem, sites: list[GeneratedSite]
) -> tuple[list[SseClient], dict[str, CallRecorder]]:
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
    return boards, recorders


def morning_figures(
    morning: Morning,
    recorders: dict[str, CallRecorder],
    got: dict[str, float],
    issue_rate: float,
    seconds: float,
) -> dict[str, Any]:
    calls, issued_phone, sites = morning.calls, morning.issued_phone, morning.sites
    board_lat = [
        recorders[sid].arrived[t] - at for sid, at, t in calls if t in recorders[sid].arrived
    ]
    sms_lat = [got[t] - issued_phone[t] for t in issued_phone if t in got]
    return {
        "sites": len(sites),
        "counters_per_site": len(sites[0].counters) if sites else 0,
        "issue_rate_per_s": issue_rate,
        "call_rate_per_s": issue_rate * 0.8,
        "seconds": seconds,
        "issuance": {"errors": morning.errors, **summary_ms(morning.issue_lat)},
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
    }


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
    boards, recorders = await connect_boards(system, sites)
    morning = Morning(sites, api, tokens)
    lag_samples: list[tuple[float, int]] = []
    mark = len(gateway.received)

    # a morning: the first fifth only issues (queues build), then calls at 80 % of arrivals
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_lag(system.kafka, system.database_url, lag_samples, stop))
    started = time.perf_counter()
    await asyncio.gather(
        open_loop(issue_rate, seconds, morning.issue),
        _delayed(seconds * 0.2, open_loop(issue_rate * 0.8, seconds * 0.8, morning.call)),
    )
    load_s = time.perf_counter() - started
    await wait_until(
        lambda: (
            all(t in recorders[sid].arrived for sid, _, t in morning.calls)
            and all(t in issued_sms_by_ticket(gateway, mark) for t in morning.issued_phone)
        ),
        20,
        0.2,
    )
    drained_after_s = time.perf_counter() - started - load_s
    stop.set()
    await sampler
    final_lag = await notifier_lag(system.kafka, system.database_url) if lag_samples else None
    got = issued_sms_by_ticket(gateway, mark)
    figures = morning_figures(morning, recorders, got, issue_rate, seconds)
    await asyncio.gather(*(c.close() for c in boards))
    await api.close()
    out = {
        **figures,
        "notifier_lag_max": max((lag for _, lag in lag_samples), default=None),
        "notifier_lag_final": final_lag,
        "drained_after_load_s": drained_after_s,
    }
    log(f"many sites: {out}")
    return out


async def _delayed(seconds: float, coro: Awaitable[None]) -> None:
    await asyncio.sleep(seconds)
    await coro
