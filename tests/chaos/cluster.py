"""The fault-injection toolkit: the three services as real processes (any number of each),
an SMS gateway that can misbehave, a load of kiosks and counters, the Kafka topics read
back, and a reconciliation of database, topics, boards and sent SMS.

Built on the e2e fixtures (`tests.e2e.conftest`): the same `start_service`, `wait_healthy`
and SMS gateway recorder; here the cluster owns its broker, so a test may stop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared import topics
from shared.embedded import EmbeddedBroker, free_port
from shared.kafka import ensure_topics
from tests.e2e.conftest import SmsGateway, start_service, wait_healthy

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE = "balangan"
PASSWORD = "rahasia-chaos"
LONG = os.environ.get("CHAOS_LONG") == "1"
"""`make chaos`: the long form of every test (longer outages, more kills, a 30 min soak)."""


def say(line: str) -> None:
    """Figures a test measures: printed (pytest -s shows them, -q keeps them on failure)."""
    sys.stderr.write(f"[chaos] {line}\n")
    sys.stderr.flush()


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float, what: str, every: float = 0.25
) -> Any:
    """Poll `check` until it returns something truthy; AssertionError naming `what` if not."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = await check()
        except Exception as exc:  # a process may be restarting
            last = exc
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:.0f}s (last: {last!r})")
        await asyncio.sleep(every)


class Pending(str):
    """A falsy reason: what `eventually` reports when it gives up."""

    def __bool__(self) -> bool:
        return False


# --------------------------------------------------------------------------- SMS gateway


Behaviour = Callable[[dict[str, Any]], Awaitable[int]]
"""Decides one webhook POST: may sleep (slow, timeout), returns the HTTP status to answer."""


async def always_ok(_sms: dict[str, Any]) -> int:
    return 200


@dataclass
class FaultyGateway(SmsGateway):
    """The e2e SMS gateway recorder, with a pluggable behaviour: slow, 500s, timeouts.

    `received` holds only the SMS it accepted (answered 2xx while the sender still
    waited); `attempts` every POST with its answer and when it came.
    """

    behaviour: Behaviour = always_ok
    attempts: list[tuple[float, dict[str, Any], int]] = field(default_factory=list)
    arrivals: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                sms = orjson.loads(await reader.readexactly(length))
                arrived = time.monotonic()
                self.arrivals.append((arrived, sms))
                status = await self.behaviour(sms)
                if reader.at_eof() or writer.is_closing():
                    status = -1  # the sender gave up waiting (its timeout): not delivered
                self.attempts.append((arrived, sms, status))
                if 200 <= status < 300:
                    self.received.append(sms)
                    self.arrived.set()
                if 200 <= status < 300:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                else:
                    code = status if status >= 400 else 504
                    writer.write(b"HTTP/1.1 %d ERR\r\ncontent-length: 5\r\n\r\nerror" % code)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def sent_keys(self) -> Counter[tuple[str, str]]:
        return Counter((s["event_id"], s["kind"]) for s in self.received)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.sent_keys().values() if n > 1)


# --------------------------------------------------------------------------- processes


@dataclass
class Cluster:
    """Broker + the services as processes, named `ticketing`, `ticketing-2`, `notifier-2` …"""

    database_url: str
    gateway: FaultyGateway
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)
    kill_times: list[tuple[str, int, float]] = field(default_factory=list)

    # -- broker
    def start_broker(self, port: int | None = None) -> str:
        self.broker = EmbeddedBroker(
            port or (self.broker.port if self.broker else free_port()),
            log_path=self.log_dir / "tansu.log",
        ).start()
        return self.broker.bootstrap_servers

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap_servers

    async def restart_broker(self) -> None:
        """Start the broker again on its port: memory storage, so recreate the topics,
        with the services frozen (SIGSTOP) until the topics exist.

        Why frozen: the embedded broker (Tansu 0.6, memory storage) accepts a produce to
        a topic it does not know, and stores the batch at offset 0 of that partition
        without creating the topic; when the topic is then created its offsets start at 0
        again, the next produce collides with the stored batch (`AlreadyExists` in
        tansu.log, UnknownError to the producer) and records already acknowledged are
        overwritten or never readable. The relay's producer holds batches for the old
        broker (it retries them until they are delivered) and sends them the moment the
        port answers, with its old metadata, before anyone can create the topics. Real
        Kafka answers such a produce with UNKNOWN_TOPIC_OR_PARTITION (or creates the topic
        first); a restarted Kafka also keeps its log. Reproduced outside the services with
        one aiokafka producer: send while the broker is down, start an empty broker, create
        the topic, send again: acknowledged records missing on read-back."""
        frozen = [p for p in self.procs.values() if p.poll() is None]
        for proc in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGSTOP)
        try:
            self.start_broker()
            await self.restart_broker_topics()
        finally:
            for proc in frozen:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGCONT)

    async def restart_broker_topics(self) -> None:
        await eventually(lambda: _ensure(self.bootstrap), 30, "topics created")

    def stop_broker(self) -> None:
        assert self.broker is not None
        self.broker.stop()

    # -- services
    def env(self, name: str) -> dict[str, str]:
        kind = name.split("-")[0]
        return {
            **os.environ,
            "ENVIRONMENT": "development",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_ENABLE_IDEMPOTENCE": "false",
            "DATABASE_URL": self.database_url,
            f"{kind.upper()}_PORT": str(self.ports[name]),
            "SMS_PROVIDER": "webhook",
            "SMS_WEBHOOK_URL": self.gateway.url,
            "MPP_DEMO_PASSWORD": PASSWORD,
            "PUBLIC_BASE_URL": "http://127.0.0.1:8001",
            # the notifier checks staff tokens with ticketing (its port, whenever it starts)
            "TICKETING_URL": f"http://127.0.0.1:{self.ports.setdefault('ticketing', free_port())}",
            "PYTHONUNBUFFERED": "1",
            "RELAY_POLL_S": "0.5",
            **self.extra_env,
            **self.overrides.get(name, {}),
        }

    def spawn(self, name: str, env: dict[str, str] | None = None) -> None:
        if env is not None:
            self.overrides[name] = env
        self.ports.setdefault(name, free_port())
        kind = name.split("-")[0]
        log = self.log_dir / f"{name}.log"
        with open(log, "ab") as f:
            f.write(f"\n===== start {name} {time.strftime('%X')} =====\n".encode())
        self.procs[name] = _start(kind, self.env(name), self.log_dir, name)

    async def start(self, name: str, env: dict[str, str] | None = None) -> str:
        self.spawn(name, env)
        await self.healthy(name)
        return self.url(name)

    async def healthy(self, name: str, timeout: float = 90.0) -> None:
        try:
            await wait_healthy(self.url(name), self.procs[name], timeout)
        except AssertionError:
            raise AssertionError(f"{name} not healthy:\n{self.log_tail(name)}") from None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    async def supervisor(self) -> dict[str, str]:
        """The Authorization header of the site's supervisor: the notifier's API wants it."""
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(
                f"{self.url('ticketing')}/api/auth/token",
                data={"username": f"{SITE}-supervisor", "password": PASSWORD},
            )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    async def kill(self, name: str, sig: int = signal.SIGKILL, wait: float = 30.0) -> None:
        """Signal the service's process group and wait for it to exit, without blocking
        the event loop (the SMS gateway and the load run on it: a frozen loop makes the
        notifier's gateway calls time out, which is a different fault)."""
        proc = self.procs[name]
        self.kill_times.append((name, sig, time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + wait
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            while proc.poll() is None:
                await asyncio.sleep(0.05)
        self.kills[f"{name} {signal.Signals(sig).name}"] += 1

    async def restart(self, name: str) -> None:
        self.spawn(name)
        await self.healthy(name)

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.broker is not None:
            self.broker.stop()


def _start(kind: str, env: dict[str, str], log_dir: Path, name: str) -> subprocess.Popen[bytes]:
    if kind == name:
        return start_service(kind, env, log_dir)
    # a second replica: its own log file, same command
    log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", f"services.{kind}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def _ensure(bootstrap: str) -> bool:
    await asyncio.wait_for(ensure_topics(bootstrap), 15)
    return True


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    """Kiosks issuing tickets and counters calling next, against whichever ticketing answers.

    A kiosk retries a failed request with the same Idempotency-Key (what the kiosk page
    does), so a 201 lost in a crash is not a second ticket.
    """

    ticketing: list[str]
    counters: list[dict[str, Any]]
    kiosks: int = 20
    callers: int = 10
    issue_every_s: float = 1.0
    """Each kiosk's pause between tickets (so kiosks / issue_every_s tickets per second)."""
    call_every_s: float = 0.5
    phone_share: float = 0.6
    issued: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    retries: int = 0

    def _base(self) -> str:
        return random.choice(self.ticketing)

    async def run(self, stop: asyncio.Event) -> None:
        limits = httpx.Limits(max_connections=self.kiosks + self.callers + 10)
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            tasks = [asyncio.create_task(self._kiosk(client, stop)) for _ in range(self.kiosks)]
            tasks += [
                asyncio.create_task(
                    self._caller(client, self.counters[i % len(self.counters)], stop)
                )
                for i in range(self.callers)
            ]
            await asyncio.gather(*tasks)

    @property
    def services(self) -> list[str]:
        return sorted({s for c in self.counters for s in c["service_ids"]})

    async def _kiosk(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        await asyncio.sleep(random.uniform(0, self.issue_every_s))
        while not stop.is_set():
            body: dict[str, Any] = {"service_id": random.choice(self.services)}
            if random.random() < self.phone_share:
                body["phone"] = f"08{random.randint(10**9, 10**10 - 1)}"
            key = f"chaos-{uuid.uuid4()}"
            for attempt in range(30):
                try:
                    r = await client.post(
                        f"{self._base()}/api/sites/{SITE}/tickets",
                        json=body,
                        headers={"Idempotency-Key": key},
                    )
                    self.statuses[f"issue {r.status_code}"] += 1
                    if r.status_code == 201:
                        ticket = r.json()
                        self.issued[ticket["id"]] = {**ticket, "phone": body.get("phone")}
                        break
                    if r.status_code < 500:
                        break
                except httpx.HTTPError as exc:
                    self.statuses[f"issue {type(exc).__name__}"] += 1
                if attempt:
                    self.retries += 1
                await asyncio.sleep(0.3)
                if stop.is_set() and attempt > 3:
                    break
            await _pause(stop, self.issue_every_s * random.uniform(0.5, 1.5))

    async def _caller(
        self, client: httpx.AsyncClient, counter: dict[str, Any], stop: asyncio.Event
    ) -> None:
        token: str | None = None
        await asyncio.sleep(random.uniform(0, self.call_every_s))
        while not stop.is_set():
            try:
                if token is None:
                    r = await client.post(
                        f"{self._base()}/api/auth/token",
                        data={"username": counter["id"], "password": PASSWORD},
                    )
                    if r.status_code != 200:
                        self.statuses[f"login {r.status_code}"] += 1
                        await _pause(stop, 0.5)
                        continue
                    token = r.json()["access_token"]
                r = await client.post(
                    f"{self._base()}/api/sites/{SITE}/counters/{counter['id']}/call-next",
                    headers={"Authorization": f"Bearer {token}"},
                )
                self.statuses[f"call {r.status_code}"] += 1
                if r.status_code == 200:
                    self.calls.append(r.json())
                elif r.status_code == 401:
                    token = None
            except httpx.HTTPError as exc:
                self.statuses[f"call {type(exc).__name__}"] += 1
            await _pause(stop, self.call_every_s * random.uniform(0.5, 1.5))

    def phones(self) -> int:
        return sum(1 for t in self.issued.values() if t["phone"])


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def site_counters(ticketing: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        site = (await client.get(f"{ticketing}/api/sites/{SITE}")).json()
    counters: list[dict[str, Any]] = site["counters"]
    return counters


async def progress(load: Load, tickets: int = 10, calls: int = 5, timeout: float = 60) -> None:
    """Until the load has `tickets` more 201s and `calls` more called tickets than now:
    the system serving again after a fault (polled, not a fixed sleep that proves nothing
    on a loaded machine and wastes time on an idle one)."""
    t0, c0 = len(load.issued), len(load.calls)

    async def moved() -> bool | Pending:
        t, c = len(load.issued) - t0, len(load.calls) - c0
        return True if t >= tickets and c >= calls else Pending(f"{t} tickets, {c} calls")

    await eventually(moved, timeout, f"{tickets} tickets issued and {calls} calls", 0.1)


async def run_load_for(load: Load, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(load.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


# --------------------------------------------------------------------------- Kafka


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    def event(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.value)
        return value


async def read_topic(bootstrap: str, topic: str) -> list[Record]:
    """Every record of `topic` now (earliest to the end offsets), in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = await consumer._client.fetch_all_metadata()
        parts = [TopicPartition(topic, p) for p in partitions.partitions_for_topic(topic) or ()]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        # Tansu's ListOffsets can report an end below the last record of a multi-record
        # batch, so read past it until the partitions stay quiet.
        ends = await consumer.end_offsets(parts)
        out: list[Record] = []
        deadline = time.monotonic() + 60
        quiet = 0
        while quiet < 3 or [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end")
            batches = await consumer.getmany(timeout_ms=300)
            quiet = 0 if batches else quiet + 1
            for tp, msgs in batches.items():
                for m in msgs:
                    out.append(
                        Record(
                            tp.topic,
                            tp.partition,
                            m.offset,
                            m.key,
                            m.value or b"",
                            {k: v for k, v in (m.headers or ())},
                        )
                    )
        return sorted(out, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def produce(bootstrap: str, topic: str, value: bytes, key: bytes = SITE.encode()) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, max_request_size=8 * 1024 * 1024, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


# --------------------------------------------------------------------------- reconciliation


@dataclass
class Reconciliation:
    figures: dict[str, int | float]
    problems: list[str]

    def table(self, title: str) -> str:
        width = max(len(k) for k in self.figures)
        lines = [f"{title}", f"  {'figure':<{width}}  value", f"  {'-' * width}  -----"]
        lines += [f"  {k:<{width}}  {v}" for k, v in self.figures.items()]
        if self.problems:
            lines.append("  problems:")
            lines += [f"    - {p}" for p in self.problems[:30]]
        return "\n".join(lines)


async def database_view(database_url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        tickets = await conn.fetch(
            """SELECT id::text, number, service_id, status, counter_id, call_count, phone
               FROM ticketing.tickets WHERE site_id = $1""",
            SITE,
        )
        outbox = await conn.fetch(
            """SELECT event_id::text, topic, site_seq, published_at IS NOT NULL AS published
               FROM ticketing.outbox WHERE site_id = $1 AND topic = ANY($2::text[])
               ORDER BY site_seq""",
            SITE,
            list(topics.EVENT_TOPICS),
        )
        messages: list[asyncpg.Record] = []
        if await conn.fetchval("SELECT to_regclass('notifier.messages') IS NOT NULL"):
            messages = await conn.fetch(
                """SELECT event_id::text, kind, ticket_id::text, status, attempts, last_error
                   FROM notifier.messages"""
            )
        return {"tickets": tickets, "outbox": outbox, "messages": messages}
    finally:
        await conn.close()


async def board(display: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(f"{display}/api/sites/{SITE}/board")
        r.raise_for_status()
        value: dict[str, Any] = r.json()
        return value


def board_view(b: dict[str, Any]) -> dict[str, Any]:
    """What must equal the database: who each counter serves, and who waits per service."""
    return {
        "now_serving": {s["counter_id"]: s["ticket_number"] for s in b["now_serving"]},
        "waiting": {k: v for k, v in b["waiting"].items() if v},
    }


def db_board_view(tickets: list[asyncpg.Record]) -> dict[str, Any]:
    waiting: Counter[str] = Counter(t["service_id"] for t in tickets if t["status"] == "waiting")
    return {
        "now_serving": {t["counter_id"]: t["number"] for t in tickets if t["status"] == "called"},
        "waiting": dict(waiting),
    }


async def wait_quiet(
    cluster: Cluster,
    displays: list[str],
    *,
    notifier: bool = True,
    timeout: float = 120.0,
    ticketing: str = "ticketing",
) -> None:
    """Until the outbox is empty, every board shows the last sequence and the notifier has
    handled every event and sent (or given up) every message."""

    async def settled() -> bool | Pending:
        view = await database_view(cluster.database_url)
        unpublished = sum(1 for e in view["outbox"] if not e["published"])
        if unpublished:
            return Pending(f"{unpublished} events in the outbox")
        last = max((e["site_seq"] for e in view["outbox"]), default=0)
        for d in displays:
            shown = (await board(d)).get("last_sequence") or 0
            if shown < last:
                return Pending(f"board {d} at sequence {shown} of {last}")
        if notifier:
            conn = await asyncpg.connect(cluster.database_url)
            try:
                handled = await conn.fetchval(
                    """SELECT count(*) FROM ticketing.outbox o
                       WHERE o.topic = ANY($1::text[]) AND EXISTS
                             (SELECT 1 FROM notifier.processed_events p
                                     WHERE p.event_id = o.event_id)""",
                    list(topics.EVENT_TOPICS),
                )
                open_ = await conn.fetchval(
                    "SELECT count(*) FROM notifier.messages WHERE status IN ('pending','sending')"
                )
            finally:
                await conn.close()
            if handled < len(view["outbox"]):
                return Pending(f"notifier handled {handled} of {len(view['outbox'])} events")
            if open_:
                return Pending(f"{open_} SMS pending or sending")
        return True

    await eventually(settled, timeout, "the system settling (outbox, boards, notifier)")


async def reconcile(
    cluster: Cluster,
    load: Load | None,
    displays: list[str],
    *,
    topics_complete: bool = True,
    check_order: bool = True,
) -> Reconciliation:
    """Database vs topics vs boards vs the SMS the gateway accepted. `topics_complete`:
    every outbox event must be on the topics (False after the broker lost its memory)."""
    view = await database_view(cluster.database_url)
    tickets = {t["id"]: t for t in view["tickets"]}
    problems: list[str] = []
    figures: dict[str, int | float] = {}

    # tickets: every 201 exists exactly once (ids are primary keys; numbers must be unique)
    lost = [tid for tid in (load.issued if load else {}) if tid not in tickets]
    numbers = Counter((t["service_id"], t["number"]) for t in tickets.values())
    dup_numbers = [n for n, c in numbers.items() if c > 1]
    problems += [f"ticket {tid} got a 201 but is not in the database" for tid in lost]
    problems += [f"ticket number {n} issued twice" for n in dup_numbers]
    figures["tickets (database)"] = len(tickets)
    figures["tickets lost"] = len(lost) + len(dup_numbers)

    # topics
    read = await asyncio.gather(*(read_topic(cluster.bootstrap, t) for t in topics.EVENT_TOPICS))
    records = [r for rs in read for r in rs]
    events: dict[str, dict[str, Any]] = {}
    poison = []
    for r in records:
        try:
            e = r.event()
            if (
                e.get("event_type") != r.topic
                or e.get("schema_version") != 1
                or "sequence" not in e
                or len(r.value) > 64 * 1024
            ):
                raise ValueError(r.topic)
        except ValueError:
            poison.append(r)
            continue
        events.setdefault(e["event_id"], e)
    records = [r for r in records if r not in poison]
    figures["poison records (skipped)"] = len(poison)
    figures["topic records"] = len(records)
    figures["topic duplicates"] = len(records) - len(events)
    outbox_ids = {e["event_id"] for e in view["outbox"]}
    missing = outbox_ids - set(events)
    if topics_complete and missing:
        problems.append(f"{len(missing)} outbox events never reached the topics")
    figures["events missing on topics"] = len(missing) if topics_complete else 0
    strangers = set(events) - outbox_ids
    if strangers:
        problems.append(f"{len(strangers)} events on the topics are not in the outbox")

    # order: per topic partition, first occurrences carry increasing sequences
    disorder = 0
    if check_order:
        seen: set[str] = set()
        last_seq: dict[tuple[str, int], int] = {}
        for r in records:
            e = r.event()
            if e["event_id"] in seen:
                continue
            seen.add(e["event_id"])
            key = (r.topic, r.partition)
            if e["sequence"] <= last_seq.get(key, 0):
                disorder += 1
            last_seq[key] = e["sequence"]
    figures["out-of-order events"] = disorder
    if disorder:
        problems.append(f"{disorder} events out of sequence order on their partition")

    # double calls: a ticket's first call (call_count 1) happened once
    first_calls = Counter(
        e["ticket_id"]
        for e in events.values()
        if e["event_type"] == "ticket-called" and e["call_count"] == 1
    )
    doubles = [tid for tid, n in first_calls.items() if n > 1]
    if load:
        api_first = Counter(c["id"] for c in load.calls if c["call_count"] == 1)
        doubles += [tid for tid, n in api_first.items() if n > 1 and tid not in doubles]
    figures["double calls"] = len(doubles)
    problems += [f"ticket {tid} was called (call_count 1) twice" for tid in doubles]

    # boards: who each counter serves and who waits per service, as the database says
    expected = db_board_view(view["tickets"])
    mismatches = 0
    for d in displays:
        got = board_view(await board(d))
        for part in ("now_serving", "waiting"):
            if got[part] != expected[part]:
                keys = set(got[part]) | set(expected[part])
                diff = {k: (got[part].get(k), expected[part].get(k)) for k in sorted(keys)}
                diff = {k: v for k, v in diff.items() if v[0] != v[1]}
                mismatches += len(diff)
                problems.append(f"board {d} {part} (board, database) differ: {diff}")
    figures["board mismatches"] = mismatches
    # the replay needs the whole day's stream: not after the broker lost its memory
    wrong_waiting = waiting_errors(list(events.values())) if topics_complete else []
    figures["events with a wrong waiting count"] = len(wrong_waiting)
    if wrong_waiting:
        problems.append(f"events whose waiting count is off: {wrong_waiting[:5]}")

    # SMS
    messages = view["messages"]
    sent_keys = cluster.gateway.sent_keys()
    figures["SMS accepted by gateway"] = sum(sent_keys.values())
    # The sender's one documented window (sender.py): a notifier killed -9 after the
    # gateway accepted an SMS but before recording it sends it again after the lease; the
    # webhook carries (event_id, kind) so a real gateway drops that repeat. A repeat is
    # explained when its first copy reached the gateway within 2 s before a notifier's
    # SIGKILL; any other repeat is a duplicate SMS.
    notifier_kills = [
        t for n, sig, t in cluster.kill_times if n.startswith("notifier") and sig == signal.SIGKILL
    ]
    first_accepted: dict[tuple[str, str], float] = {}
    for at, sms, status in cluster.gateway.attempts:
        if 200 <= status < 300:
            first_accepted.setdefault((sms["event_id"], sms["kind"]), at)
    repeated = [k for k, n in sent_keys.items() if n > 1]
    explained = [
        k for k in repeated if any(0 <= t - first_accepted[k] <= 2.0 for t in notifier_kills)
    ]
    duplicates = [k for k in repeated if k not in explained]
    figures["duplicate SMS"] = sum(sent_keys[k] - 1 for k in duplicates)
    figures["repeats after kill -9 mid-send"] = sum(sent_keys[k] - 1 for k in explained)
    if duplicates:
        problems.append(f"SMS sent more than once: {duplicates[:5]}")
    queued = {(m["event_id"], m["kind"]): m for m in messages}
    unsent = [k for k, m in queued.items() if m["status"] != "sent"]
    not_at_gateway = [k for k, m in queued.items() if m["status"] == "sent" and k not in sent_keys]
    unknown = [k for k in sent_keys if k not in queued]
    issued_sms: defaultdict[str, int] = defaultdict(int)
    for m in messages:
        if m["kind"] == "issued" and (m["event_id"], "issued") in sent_keys:
            issued_sms[m["ticket_id"]] += 1
    no_issued = [t["id"] for t in tickets.values() if t["phone"] and issued_sms[t["id"]] != 1]
    called_sms = {m["ticket_id"] for m in messages if m["kind"] == "called"}
    serving_no_sms = [
        t["id"]
        for t in tickets.values()
        if t["phone"] and t["status"] == "called" and t["id"] not in called_sms
    ]
    lost_sms = len(unsent) + len(not_at_gateway) + len(no_issued) + len(serving_no_sms)
    figures["SMS lost"] = lost_sms
    if unsent:
        problems.append(f"{len(unsent)} queued SMS not sent: {unsent[:5]}")
    if not_at_gateway:
        problems.append(f"{len(not_at_gateway)} SMS marked sent never reached the gateway")
    if unknown:
        problems.append(f"{len(unknown)} SMS at the gateway the notifier never queued")
    if no_issued:
        problems.append(f"{len(no_issued)} tickets with a phone lack exactly one issued SMS")
    if serving_no_sms:
        problems.append(f"{len(serving_no_sms)} tickets being served got no called SMS")
    return Reconciliation(figures, problems)


def waiting_errors(events: list[dict[str, Any]]) -> list[tuple[int, str, int, int]]:
    """Events whose `waiting` disagrees with the queue their own stream implies.

    Replaying the distinct events in sequence order: a ticket-issued adds one waiting
    ticket to its service, a first call (call_count 1) takes one away; recalls and
    completions of called tickets change nothing (valid for loads without transfers,
    cancellations or no-show returns). Returns (sequence, service, said, replayed)."""
    waiting: Counter[str] = Counter()
    wrong = []
    for e in sorted(events, key=lambda e: e["sequence"]):
        if e["event_type"] == "ticket-issued":
            waiting[e["service_id"]] += 1
        elif e["event_type"] == "ticket-called" and e["call_count"] == 1:
            waiting[e["service_id"]] -= 1
        for service, said in (e.get("waiting") or {}).items():
            if said != waiting[service]:
                wrong.append((e["sequence"], service, said, waiting[service]))
    return wrong
