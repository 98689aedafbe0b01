"""Figure 4, notifier: ticket issued (its issued_at) → SMS POST at a local gateway, and
SMS/s draining a backlog; ceiling: the gateway's own requests/s from a bare client."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
import uuid
from typing import Any

from bench.client import Gateway, HttpPool
from bench.measure import SITE, epoch, log, open_loop, services_of, summary_ms, wait_until
from bench.system import RunningSystem


def issued_sms_by_ticket(gateway: Gateway, since: int = 0) -> dict[str, float]:
    out: dict[str, Any] = {}
    for at, sms in gateway.received[since:]:
        if sms.get("kind") == "issued":
            m = re.search(r"/t/([0-9a-f-]{36})", sms.get("text", ""))
            if m:
                out.setdefault(m.group(1), at)
    return out


async def notifier_latency(
    api: HttpPool, gateway: Gateway, services: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    """Phone tickets at `rate` (open loop): each one's issued_at → its SMS at the gateway."""
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
    await wait_until(lambda: all(t in issued_sms_by_ticket(gateway, mark) for t in issued), 15, 0.1)
    got = issued_sms_by_ticket(gateway, mark)
    lat = [got[t] - issued[t] for t in issued if t in got]
    return {
        "rate_per_s": rate,
        "tickets": len(issued),
        "missing": len(issued) - len(lat),
        **summary_ms(lat),
    }


async def notifier_saturation(
    api: HttpPool, gateway: Gateway, services: list[str], pid: int, backlog: int
) -> dict[str, Any]:
    """Hold the notifier (SIGSTOP) while a backlog of phone tickets builds up in Kafka,
    then let it go and time the drain at the gateway."""
    path = f"/api/sites/{SITE}/tickets"
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
    await wait_until(lambda: len(gateway.received) - mark >= backlog, 120, 0.1)
    arrivals = [at for at, _ in gateway.received[mark:]]
    drained = len(arrivals)
    rate_sat = (drained - 1) / (arrivals[-1] - arrivals[0]) if drained > 1 else float("nan")
    return {
        "backlog": backlog,
        "delivered": drained,
        "sms_per_s": rate_sat,
        "first_after_resume_s": (arrivals[0] - resumed) if arrivals else float("nan"),
    }


async def gateway_ceiling(gateway: Gateway) -> float:
    """The gateway's own rate, from a bare keep-alive client, 8 at a time (the notifier's
    SMS_CONCURRENCY default); what it received is forgotten again."""
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
    return gateway_rate


async def bench_notifier(
    system: RunningSystem, gateway: Gateway, rate: float, seconds: float, backlog: int
) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    services = [s["id"] for s in (await services_of(api, SITE))["services"]]
    latency = await notifier_latency(api, gateway, services, rate, seconds)
    log(f"notifier latency at {rate:g}/s: {latency}")
    await asyncio.sleep(1.0)
    pid = system.pids["notifier"]
    saturation = await notifier_saturation(api, gateway, services, pid, backlog)
    log(f"notifier saturation: {saturation}")
    gateway_rate = await gateway_ceiling(gateway)
    await api.close()
    return {"latency": latency, "saturation": saturation, "gateway_ceiling_per_s": gateway_rate}
