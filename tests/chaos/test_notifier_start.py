"""How soon the notifier sends after it starts, and after a kill -9 (issue 15 item 1).

It reads without a consumer group (services/notifier/consumer.py): nothing to join, no
dead member to wait out, only its stored offsets to seek to. Measured on real processes:
the broker, ticketing and the notifier as `python -m services.<name>`, the SMS at the
test's gateway.

- start: the event is already on the topic when the notifier is spawned; from the
  notifier's first log line (uvicorn starting the app: its imports are done) to the
  SMS at the gateway, < 2 s;
- kill -9: the event is issued while the notifier is dead; from the kill to the SMS at
  the gateway (the restart's imports included), < 10 s;
- and no (event_id, kind) reaches the gateway twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from shared import topics
from shared.events import PhoneVerificationRequested
from tests.chaos.cluster import (
    SITE,
    Cluster,
    eventually,
    produce,
    read_topic,
    say,
    site_counters,
)
from tests.chaos.conftest import MakeCluster

START_BUDGET_S = 2.0
KILL_BUDGET_S = 10.0


async def issue_with_phone(cluster: Cluster, service_id: str) -> str:
    """Issue a ticket with a phone; its ticket-issued event's id, once it is on the topic."""
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{cluster.url('ticketing')}/api/sites/{SITE}/tickets",
            json={"service_id": service_id, "phone": f"08{uuid.uuid4().int % 10**10:010d}"},
            headers={"Idempotency-Key": f"faststart-{uuid.uuid4()}"},
        )
    assert r.status_code == 201, r.text
    ticket_id = r.json()["id"]
    found: list[str] = []

    async def on_topic() -> bool:
        for record in await read_topic(cluster.bootstrap, topics.TICKET_ISSUED):
            event = record.event()
            if event.get("ticket_id") == ticket_id:
                found.append(str(event["event_id"]))
                return True
        return False

    await eventually(on_topic, 30, "the ticket-issued event on its topic")
    return found[0]


async def request_code(cluster: Cluster) -> str:
    """A phone-verification-requested on its topic, as ticketing's relay publishes it
    (online booking); its event id."""
    now = datetime.now(UTC)
    event = PhoneVerificationRequested(
        event_id=uuid.uuid4(),
        occurred_at=now,
        site_id=SITE,
        site_name="MPP Balangan",
        verification_id=uuid.uuid4(),
        phone=f"+628{uuid.uuid4().int % 10**10:010d}",
        code=f"{uuid.uuid4().int % 10**6:06d}",
        expires_at=now + timedelta(minutes=5),
    )
    await produce(cluster.bootstrap, topics.PHONE_VERIFICATION_REQUESTED, event.to_json())
    return str(event.event_id)


async def sms_at(cluster: Cluster, event_id: str, kind: str, timeout: float = 30) -> float:
    """When (time.monotonic) the gateway accepted the `kind` SMS of `event_id`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for arrived, sms, status in cluster.gateway.attempts:
            if (sms.get("event_id"), sms.get("kind")) == (event_id, kind) and 200 <= status < 300:
                return arrived
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {kind} SMS for {event_id}:\n{cluster.log_tail('notifier')}")


def first_log_line_at(cluster: Cluster) -> float:
    """When (time.monotonic) the notifier's latest start wrote its first JSON log line."""
    text = (cluster.log_dir / "notifier.log").read_text(errors="replace")
    last_start = text.rsplit("===== start notifier", 1)[1]
    for line in last_start.splitlines():
        if line.startswith("{"):
            entry: dict[str, Any] = orjson.loads(line)
            wall = datetime.fromisoformat(entry["ts"]).timestamp()
            return time.monotonic() - (time.time() - wall)
    raise AssertionError(f"no log line from the notifier yet:\n{last_start[-2000:]}")


async def test_notifier_sends_within_2s_of_its_start_and_10s_of_a_kill_9(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(services=("ticketing", "notifier"), LOG_FORMAT="json")
    counters = await site_counters(cluster.url("ticketing"))
    service_id = sorted({s for c in counters for s in c["service_ids"]})[0]
    # warm: the notifier has read (and stored the offsets of) what is on the topics
    await sms_at(cluster, await issue_with_phone(cluster, service_id), "issued", 60)
    await sms_at(cluster, await request_code(cluster), "verification", 60)

    await cluster.kill("notifier", signal.SIGTERM)
    waiting, code = await issue_with_phone(cluster, service_id), await request_code(cluster)
    spawned = time.monotonic()
    cluster.spawn("notifier")
    sent = await sms_at(cluster, waiting, "issued")
    code_sent = await sms_at(cluster, code, "verification")
    ready = first_log_line_at(cluster)
    starts = [sent - ready, code_sent - ready]
    say(
        f"start: first log line → issued SMS {starts[0]:.2f} s, → code SMS {starts[1]:.2f} s "
        f"(spawn → issued SMS {sent - spawned:.2f} s)"
    )
    await cluster.healthy("notifier")

    kills: list[float] = []
    for _ in range(2):
        await cluster.kill("notifier", signal.SIGKILL)
        killed = cluster.kill_times[-1][2]
        waiting, code = await issue_with_phone(cluster, service_id), await request_code(cluster)
        cluster.spawn("notifier")
        sent = max(
            await sms_at(cluster, waiting, "issued"), await sms_at(cluster, code, "verification")
        )
        kills.append(sent - killed)
        say(
            f"kill -9: kill → both SMS {sent - killed:.2f} s "
            f"(first log line → both SMS {sent - first_log_line_at(cluster):.2f} s)"
        )
        await cluster.healthy("notifier")

    await asyncio.sleep(2.0)  # anything sent twice would have reached the gateway by now
    assert cluster.gateway.duplicates() == 0, cluster.gateway.sent_keys()
    assert max(starts) < START_BUDGET_S
    assert max(kills) < KILL_BUDGET_S
