"""Poison messages on every topic, half-open SSE clients, and an SMS gateway that fails."""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
import socket
import struct
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import orjson
import pytest

from shared import topics
from tests.chaos.cluster import (
    LONG,
    PASSWORD,
    SITE,
    Load,
    eventually,
    produce,
    read_topic,
    reconcile,
    rss_kb,
    run_load_for,
    say,
    site_counters,
    wait_quiet,
)
from tests.chaos.conftest import MakeCluster

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900 if LONG else 300)]


def poisons(topic: str) -> dict[str, bytes]:
    valid_looking: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": topic,
        "schema_version": 1,
        "occurred_at": "2026-01-01T00:00:00Z",
        "site_id": SITE,
    }
    return {
        "invalid JSON": b'{"event_id": "not json',
        "schema_version 2": orjson.dumps({**valid_looking, "schema_version": 2}),
        "unknown event_type": orjson.dumps({**valid_looking, "event_type": "ticket-exploded"}),
        "1 MB value": orjson.dumps({**valid_looking, "padding": "x" * (1024 * 1024)}),
    }


async def test_poison_messages_go_to_the_dead_letter_topics_and_consumers_go_on(
    make_cluster: MakeCluster,
) -> None:
    """Both consumers read every topic, so each dead-letters each poison message: two
    copies per message in `<topic>.dlq`, one per consumer (its `x-dlq-consumer` header).
    That is by design: each copy records one consumer's failure, and a dead-letter
    replayer must treat them as what they are, unparseable bytes, not events."""
    cluster = await make_cluster()
    ticketing, display = cluster.url("ticketing"), cluster.url("display")
    sent: dict[str, dict[str, bytes]] = {t: poisons(t) for t in topics.EVENT_TOPICS}
    for topic, messages in sent.items():
        for value in messages.values():
            await produce(cluster.bootstrap, topic, value)

    # valid events after the poison, on all three topics
    counters = await site_counters(ticketing)
    counter = counters[0]
    async with httpx.AsyncClient(base_url=ticketing, timeout=10) as api:
        service = counter["service_ids"][0]
        first = await api.post(
            f"/api/sites/{SITE}/tickets", json={"service_id": service, "phone": "081234567890"}
        )
        second = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": service})
        assert first.status_code == second.status_code == 201
        token = (
            await api.post(
                "/api/auth/token", data={"username": counter["id"], "password": PASSWORD}
            )
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(2):  # the second call completes the first ticket: service-completed
            r = await api.post(
                f"/api/sites/{SITE}/counters/{counter['id']}/call-next", headers=auth
            )
            assert r.status_code == 200, r.text
    await cluster.gateway.wait_for("issued", first.json()["number"], timeout=60)
    # the survey, not the called SMS: the ticket is called and served within milliseconds
    # here, and a call the notifier reads after the completion (another topic) is rightly
    # not texted any more ("the call is over, say nothing")
    await cluster.gateway.wait_for("survey", first.json()["id"], timeout=60)
    await wait_quiet(cluster, [display])

    async def all_dead_lettered() -> dict[str, list[Any]] | None:
        found = {t: await read_topic(cluster.bootstrap, topics.dlq_topic(t)) for t in sent}
        return found if all(len(found[t]) >= 2 * len(sent[t]) for t in sent) else None

    dlq = await eventually(all_dead_lettered, 60, "every poison message dead-lettered twice")
    for topic, records in dlq.items():
        by_value = Counter(r.value for r in records)
        for what, value in sent[topic].items():
            copies = [r for r in records if r.value == value or _truncated_of(r, value)]
            reasons = sorted({r.headers["x-dlq-reason"].decode()[:60] for r in copies})
            consumers = sorted(r.headers.get("x-dlq-consumer", b"?").decode() for r in copies)
            say(f"{topic}.dlq: {what}: {len(copies)} copies from {consumers}: {reasons}")
            assert len(copies) == 2, (topic, what, len(copies), len(by_value))
            assert consumers == ["display", "notifier"]
            assert all(r.headers["x-dlq-reason"] for r in copies)
    async with httpx.AsyncClient(timeout=10) as client:
        stats = (
            await client.get(
                f"{cluster.url('notifier')}/api/stats", headers=await cluster.supervisor()
            )
        ).json()["consumer"]
        events = (await client.get(f"{display}/health")).json()["events"]
    say(f"notifier {stats}; display {events}")
    assert stats["dead_lettered"] == events["dead_lettered"] == 12
    result = await reconcile(cluster, None, [display])
    assert result.problems == []


def _truncated_of(record: Any, value: bytes) -> bool:
    size = record.headers.get("x-dlq-original-size")
    return size is not None and int(size) == len(value) and value.startswith(record.value)


async def test_half_open_sse_clients_are_cleaned_up_and_memory_stays_bounded(
    make_cluster: MakeCluster,
) -> None:
    """1,000 raw TCP clients open the board stream and never read it while events flow:
    the display's memory stays bounded (each client's queue is bounded; what the
    kernel's socket buffers still accept is no process memory). Then they vanish without
    a FIN (RST, like a board whose network went away): the display notices on its next
    write (a keepalive at the latest) and forgets them; RSS comes back down."""
    cluster = await make_cluster(
        services=("ticketing", "display"), SSE_KEEPALIVE_S="1", SSE_CLIENT_QUEUE="32"
    )
    display = cluster.url("display")
    pid = cluster.pid("display")
    before = rss_kb(pid)
    port = int(display.rsplit(":", 1)[1])
    clients = 1000
    sockets: list[socket.socket] = []
    request = (
        f"GET /api/sites/{SITE}/board/stream HTTP/1.1\r\nHost: x\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    for _ in range(clients):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills fast, never read
        s.connect(("127.0.0.1", port))
        s.sendall(request)
        sockets.append(s)
    async with httpx.AsyncClient(timeout=30) as client:

        async def sse_clients() -> int:
            return int((await client.get(f"{display}/health")).json()["sse_clients"])

        async def connected() -> int:
            n = await sse_clients()
            return n if n >= clients * 0.95 else 0

        peak_clients = await eventually(connected, 90, "the raw clients connected")
        counters = (await site_counters(cluster.url("ticketing")))[:4]
        load = Load([cluster.url("ticketing")], counters, kiosks=10, callers=4, issue_every_s=0.2)
        await run_load_for(load, 30.0 if LONG else 8.0)
        events = len(load.issued) + len(load.calls)
        still = await sse_clients()
        peak = rss_kb(pid)
        for s in sockets:  # vanish: RST instead of FIN
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        vanished = time.monotonic()

        async def cleaned() -> bool:
            return await sse_clients() <= clients * 0.01

        await eventually(cleaned, 60, "the vanished clients forgotten")
        cleanup_s = time.monotonic() - vanished
        await asyncio.sleep(2.0)
        after = rss_kb(pid)
        r = await client.get(f"{display}/api/sites/{SITE}/board")
        assert r.status_code == 200
    say(
        f"{clients} half-open SSE clients: {peak_clients} connected, {events} events while "
        f"they did not read ({still} still subscribed), forgotten {cleanup_s:.1f}s after "
        f"vanishing; display RSS {before} kB -> {peak} kB with them -> {after} kB after"
    )
    assert peak - before < 200 * 1024, "1,000 stuck clients cost the display over 200 MB"
    assert after - before < 100 * 1024, "the display kept over 100 MB after they left"


async def test_sms_gateway_failing_retries_with_backoff_then_records_a_failure(
    make_cluster: MakeCluster,
) -> None:
    """The gateway times out, answers 500 or is slow for some numbers: those are retried
    with growing, jittered delays, a bounded number of times, then recorded as failed
    with last_error; every other SMS goes out meanwhile, not held up behind them."""
    cluster = await make_cluster(
        SMS_TIMEOUT_S="1",
        SMS_MAX_ATTEMPTS="4",
        SMS_BACKOFF_BASE_S="0.5",
        SMS_BACKOFF_MAX_S="4",
        SMS_LEASE_S="30",
    )
    bad = {"+6281100000001": "500", "+6281100000002": "timeout", "+6281100000003": "slow"}

    async def behaviour(sms: dict[str, Any]) -> int:
        mode = bad.get(sms["to"])
        if mode == "500":
            return 500
        if mode == "timeout":
            await asyncio.sleep(3.0)  # beyond the notifier's 1 s timeout
            return 200
        if mode == "slow":
            await asyncio.sleep(0.6)  # slow but within the timeout: delivered
        return 200

    cluster.gateway.behaviour = behaviour
    ticketing = cluster.url("ticketing")
    async with httpx.AsyncClient(base_url=ticketing, timeout=10) as api:
        failing = {}
        for phone in bad:
            r = await api.post(
                f"/api/sites/{SITE}/tickets",
                json={"service_id": "ktp-el", "phone": "0" + phone[3:]},
            )
            failing[phone] = r.json()
        started = time.monotonic()
        good = []
        for _ in range(20):
            r = await api.post(
                f"/api/sites/{SITE}/tickets",
                json={"service_id": "kia", "phone": f"0812{random.randint(10**7, 10**8 - 1)}"},
            )
            good.append(r.json())
    for ticket in good:
        await cluster.gateway.wait_for("issued", ticket["number"], timeout=30)
    good_s = time.monotonic() - started

    staff = await cluster.supervisor()

    async def messages(ticket_id: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.get(
                f"{cluster.url('notifier')}/api/messages",
                params={"ticket_id": ticket_id},
                headers=staff,
            )
            value: list[dict[str, Any]] = r.json()["messages"]
            return value

    async def settled(phone: str) -> list[dict[str, Any]] | None:
        ms = await messages(failing[phone]["id"])
        return ms if ms and ms[0]["status"] in ("sent", "failed") else None

    outcome = {
        p: (await eventually(functools.partial(settled, p), 90, f"{p} settled"))[0] for p in bad
    }
    for phone, mode in bad.items():
        tries = [t for t, sms in cluster.gateway.arrivals if sms["to"] == phone]
        gaps = [round(b - a, 2) for a, b in itertools.pairwise(tries)]
        m = outcome[phone]
        say(
            f"{mode}: status {m['status']} after {m['attempts']} attempts, gaps {gaps}s, "
            f"last_error {m['last_error']!r}"
        )
        if mode == "slow":
            assert m["status"] == "sent" and m["attempts"] == 1
            continue
        assert m["status"] == "failed" and m["attempts"] == 4
        assert m["last_error"] and "+62811" not in m["last_error"]  # no phone in the error
        assert len(tries) == 4
        assert all(g >= 0.25 for g in gaps)  # waited (equal jitter: at least half the ceiling)
        assert gaps[-1] > gaps[0], "no backoff between attempts"
    say(f"20 other SMS all sent {good_s:.1f}s after issue, while those failed")
    assert good_s < 20, "other SMS were held up behind the failing ones"
    assert cluster.gateway.duplicates() == 0
