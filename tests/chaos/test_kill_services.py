"""kill -9 of each service under load, a relay dying between publish and mark-as-published,
and a consumer-group rebalance: nothing lost, nothing doubled, boards equal the database."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest

from tests.chaos.cluster import (
    LONG,
    SITE,
    Load,
    board,
    database_view,
    eventually,
    progress,
    read_topic,
    reconcile,
    say,
    site_counters,
    wait_quiet,
)
from tests.chaos.conftest import MakeCluster
from tests.e2e.sse import BoardListener

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900 if LONG else 300)]


def board_core(b: dict[str, Any]) -> dict[str, Any]:
    """The parts of a board JSON two displays that read the same topics must agree on."""
    return {
        "now_serving": [
            (s["counter_id"], s["ticket_number"], s["event_id"]) for s in b["now_serving"]
        ],
        "recent_calls": [c["event_id"] for c in b["recent_calls"]],
        "waiting": b["waiting"],
        "last_sequence": b["last_sequence"],
    }


async def test_kill_9_ticketing_while_20_kiosks_issue_and_10_counters_call(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster()
    counters = (await site_counters(cluster.url("ticketing")))[:10]
    load = Load([cluster.url("ticketing")], counters, kiosks=20, callers=10, issue_every_s=1.0)
    stop = asyncio.Event()
    running = asyncio.create_task(load.run(stop))
    kills = 6 if LONG else 2
    for _ in range(kills):
        await asyncio.sleep(random.uniform(2.0, 5.0))
        before = len(load.issued)
        await cluster.kill("ticketing")
        say(f"kill -9 ticketing after {before} tickets")
        await cluster.restart("ticketing")
    await progress(load)
    stop.set()
    await running
    say(f"load: {len(load.issued)} tickets (201), {len(load.calls)} calls, {dict(load.statuses)}")

    await wait_quiet(cluster, [cluster.url("display")])
    staff = await cluster.supervisor()
    async with httpx.AsyncClient(timeout=10) as client:
        for ticket_id, ticket in load.issued.items():
            got = await client.get(f"{cluster.url('ticketing')}/api/tickets/{ticket_id}")
            assert got.status_code == 200, (ticket_id, got.text)
            assert got.json()["number"] == ticket["number"]
            if ticket["phone"]:
                sms = (
                    await client.get(
                        f"{cluster.url('notifier')}/api/messages",
                        params={"ticket_id": ticket_id},
                        headers=staff,
                    )
                ).json()["messages"]
                issued = [m for m in sms if m["kind"] == "issued"]
                assert len(issued) == 1 and issued[0]["status"] == "sent", (ticket_id, sms)
    result = await reconcile(cluster, load, [cluster.url("display")])
    say(result.table(f"kill -9 ticketing x{kills}"))
    assert len(load.issued) > 20 and len(load.calls) > 10
    assert result.problems == []
    assert result.figures["tickets lost"] == result.figures["double calls"] == 0


async def test_relay_killed_between_publish_and_mark_published_duplicates_are_dropped(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(RELAY_BATCH="50")
    display = cluster.url("display")
    counters = (await site_counters(cluster.url("ticketing")))[:6]
    async with BoardListener(f"{display}/api/sites/{SITE}/board/stream") as stream:
        duplicates = 0
        rounds = 0
        while duplicates == 0 and rounds < 6:
            rounds += 1
            # a burst: 30 kiosks at full speed; kill -9 while the relay is publishing it
            load = Load(
                [cluster.url("ticketing")], counters, kiosks=30, callers=6, issue_every_s=0.01
            )
            stop = asyncio.Event()
            running = asyncio.create_task(load.run(stop))
            await asyncio.sleep(random.uniform(1.0, 2.0))
            # freeze the broker so the relay's publishes stay unacknowledged (and its rows
            # unmarked) for a moment, kill -9 ticketing in that moment, thaw the broker: it
            # still appends what it had received
            assert cluster.broker is not None and cluster.broker.process is not None
            os.kill(cluster.broker.process.pid, signal.SIGSTOP)
            await asyncio.sleep(0.5)
            await cluster.kill("ticketing")
            os.kill(cluster.broker.process.pid, signal.SIGCONT)
            stop.set()
            await running
            await cluster.restart("ticketing")
            await wait_quiet(cluster, [display])
            records = [
                r
                for t in ("ticket-issued", "ticket-called", "service-completed")
                for r in await read_topic(cluster.bootstrap, t)
            ]
            ids = Counter(r.event()["event_id"] for r in records)
            duplicates = sum(n - 1 for n in ids.values())
            say(f"round {rounds}: {len(records)} records, {len(ids)} distinct, {duplicates} dup")
        assert duplicates > 0, "the kill never landed between publish and mark-as-published"

        # the notifier and the display each dropped every duplicate by event_id
        async with httpx.AsyncClient(timeout=10) as client:
            stats = (
                await client.get(
                    f"{cluster.url('notifier')}/api/stats", headers=await cluster.supervisor()
                )
            ).json()
            health = (await client.get(f"{display}/health")).json()
        say(f"notifier consumer {stats['consumer']}, display events {health['events']}")
        outbox = (await database_view(cluster.database_url))["outbox"]
        say(f"outbox: {len(outbox)} events, {sum(e['published'] for e in outbox)} published")
        missing = [e for e in outbox if e["event_id"] not in ids]
        if missing:
            say(f"missing from topic read: {[dict(e) for e in missing]}")
            for t in ("ticket-issued", "ticket-called", "service-completed"):
                recs = await read_topic(cluster.bootstrap, t)
                say(
                    f"{t}: {len(recs)} records, offsets {[(r.partition, r.offset) for r in recs][-3:]}, first {[(r.partition, r.offset) for r in recs][:3]}"
                )
        assert stats["consumer"]["duplicates"] >= duplicates
        assert health["events"]["duplicates"] >= duplicates
        assert stats["consumer"]["handled"] == len(ids)
        assert health["events"]["applied"] == len(ids)
        # the lobby stream announced every event once
        streamed = Counter(e.id for e in stream.events if e.event != "snapshot")
        assert set(streamed) == set(ids), "the board stream missed events"
        assert max(streamed.values()) == 1, "the board stream repeated an event"

    # a display that never saw a crash (started now, replaying the topics) shows the same board
    second = await cluster.start("display-2")
    await wait_quiet(cluster, [display, second])
    assert board_core(await board(display)) == board_core(await board(second))
    result = await reconcile(cluster, None, [display, second])
    say(result.table(f"relay killed mid-publish ({rounds} round(s))"))
    assert result.figures["topic duplicates"] == duplicates
    assert result.problems == []


async def test_kill_9_notifier_and_display_at_random_points(make_cluster: MakeCluster) -> None:
    """kill -9 of the display at random points, and of the notifier mid-flow: once the
    gateway has accepted some SMS since the last restart, while it holds one in hand
    (the gateway answers in 0.05-0.25 s, like a real one) and more are queued. No SMS lost,
    none sent twice (a repeat of one the gateway accepted just before the kill is the
    sender's documented window, reported apart), the board equals a never-crashed one."""
    cluster = await make_cluster(SMS_LEASE_S="3")

    async def gateway_latency(_sms: dict[str, Any]) -> int:
        await asyncio.sleep(random.uniform(0.05, 0.25))
        return 200

    cluster.gateway.behaviour = gateway_latency
    witness = await cluster.start("display-2")  # never crashes
    counters = (await site_counters(cluster.url("ticketing")))[:8]
    load = Load([cluster.url("ticketing")], counters, kiosks=6, callers=6, issue_every_s=1.0)
    stop = asyncio.Event()
    running = asyncio.create_task(load.run(stop))
    victims = ["notifier", "display", "notifier"]
    if LONG:
        victims += random.choices(["notifier", "display"], k=5)
        random.shuffle(victims)
    gateway = cluster.gateway
    mid_flow: list[tuple[int, int, int]] = []  # (accepted since restart, in hand, queued)
    for victim in victims:
        if victim == "notifier":
            floor = len(gateway.received) + 5

            async def accepted_some(floor: int = floor) -> bool:
                return len(gateway.received) >= floor

            async def in_hand() -> int:  # POSTs the gateway has not answered yet
                return len(gateway.arrivals) - len(gateway.attempts)

            await eventually(accepted_some, 60, "5 more SMS accepted since the restart")
            since = len(gateway.received) - floor + 5
            holding = await eventually(in_hand, 20, "an SMS in hand at the gateway", 0.01)
            await cluster.kill(victim)
            queued = await _open_messages(cluster.database_url)
            mid_flow.append((since, holding, queued))
            say(
                f"kill -9 notifier: {since} SMS accepted since its start, {holding} in "
                f"hand at the gateway, {queued} pending or sending"
            )
        else:
            await asyncio.sleep(random.uniform(0.5, 2.5))
            await cluster.kill(victim)
            say(f"kill -9 display ({len(gateway.received)} SMS so far)")
        await asyncio.sleep(random.uniform(0.0, 1.5))
        await cluster.restart(victim)
    await progress(load)
    stop.set()
    await running
    display = cluster.url("display")
    await wait_quiet(cluster, [display, witness])
    assert board_core(await board(display)) == board_core(await board(witness))
    result = await reconcile(cluster, load, [display, witness])
    say(f"kills: {dict(cluster.kills)}")
    say(result.table("kill -9 notifier (mid-flow) / display"))
    assert load.phones() > 5
    assert mid_flow and all(s >= 5 and h >= 1 for s, h, _ in mid_flow)
    assert any(q >= 1 for _, _, q in mid_flow), "no kill left SMS still due"
    assert result.figures["duplicate SMS"] == 0 and result.figures["SMS lost"] == 0
    assert result.problems == []


async def _open_messages(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM notifier.messages WHERE status IN ('pending','sending')"
        )
        return n
    finally:
        await conn.close()


async def test_a_second_notifier_comes_and_goes_while_events_flow(
    make_cluster: MakeCluster,
) -> None:
    """notifier-2 started and stopped (SIGTERM) under load. The notifiers have no consumer
    group: started with the same NOTIFIER_REPLICAS / NOTIFIER_REPLICA (a deployment
    mistake, or a replacement started before the old one stopped) both read every
    partition, and their shared schema still lets each (event_id, kind) out once."""
    cluster = await make_cluster(SMS_LEASE_S="3")
    counters = (await site_counters(cluster.url("ticketing")))[:8]
    load = Load([cluster.url("ticketing")], counters, kiosks=10, callers=8, issue_every_s=0.7)
    stop = asyncio.Event()
    running = asyncio.create_task(load.run(stop))
    cycles = 4 if LONG else 2
    for i in range(cycles):
        await progress(load, 5, 3)
        await cluster.start("notifier-2")
        say(f"cycle {i + 1}: notifier-2 started (same partitions)")
        await asyncio.sleep(random.uniform(2.0, 4.0))
        await cluster.kill("notifier-2", signal.SIGTERM)
        say(f"cycle {i + 1}: notifier-2 left (SIGTERM)")
    await progress(load)
    stop.set()
    await running
    await wait_quiet(cluster, [cluster.url("display")])
    result = await reconcile(cluster, load, [cluster.url("display")])
    say(result.table(f"second notifier x{cycles}"))
    assert result.figures["duplicate SMS"] == 0 and result.figures["SMS lost"] == 0
    assert result.problems == []
