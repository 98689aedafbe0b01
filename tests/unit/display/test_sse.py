"""SSE wire format and the hub's fan-out, replay and slow-client rules."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from services.display import sse
from services.display.hub import Hub
from services.display.service import public_data
from tests.unit.display.builders import DayOfEvents

DAY = date(2025, 3, 10)


def test_frame_has_event_id_and_data() -> None:
    assert sse.frame('{"a":1}', event="ticket-called", event_id="e1") == (
        b'event: ticket-called\nid: e1\ndata: {"a":1}\n\n'
    )


def test_multiline_data_becomes_one_data_line_each() -> None:
    assert sse.frame('{\n  "a": 1\r\n}') == b'data: {\ndata:   "a": 1\ndata: }\n\n'


def test_retry_and_comment() -> None:
    assert sse.retry(2000) == b"retry: 2000\n\n"
    assert sse.comment("keepalive") == b": keepalive\n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_event_and_id_must_be_one_line(bad: str) -> None:
    with pytest.raises(ValueError, match="one line"):
        sse.frame("{}", event_id=bad)
    with pytest.raises(ValueError, match="one line"):
        sse.frame("{}", event=bad)


async def test_one_frame_shared_by_every_client() -> None:
    hub = Hub()
    a, _, _ = hub.connect("s", DAY, None)
    b, _, _ = hub.connect("s", DAY, None)
    other, _, _ = hub.connect("elsewhere", DAY, None)
    payload = hub.publish("s", DAY, "ticket-issued", "e1", "{}")
    assert a.take()[0] is payload
    assert b.take()[0] is payload
    assert other.take() == []


async def test_replay_after_a_known_id_and_nothing_for_an_unknown_one() -> None:
    hub = Hub(replay_events=3)
    frames = [hub.publish("s", DAY, "ticket-issued", f"e{i}", "{}") for i in range(5)]
    _, replay, latest = hub.connect("s", DAY, "e2")
    assert replay == frames[3:]
    assert latest == "e4"
    _, replay, _ = hub.connect("s", DAY, "e0")  # fell out of the buffer
    assert replay == []
    _, replay, _ = hub.connect("s", DAY, "e4")  # already up to date
    assert replay == []


async def test_a_new_day_empties_the_replay_buffer() -> None:
    hub = Hub()
    hub.publish("s", DAY, "ticket-issued", "e1", "{}")
    _, replay, latest = hub.connect("s", date(2025, 3, 11), "e1")
    assert replay == []
    assert latest is None


async def test_a_slow_client_is_dropped_not_buffered_forever() -> None:
    hub = Hub(client_queue=2)
    slow, _, _ = hub.connect("s", DAY, None)
    fast, _, _ = hub.connect("s", DAY, None)
    for i in range(2):
        hub.publish("s", DAY, "ticket-issued", f"e{i}", "{}")
    assert len(fast.take()) == 2
    hub.publish("s", DAY, "ticket-issued", "e2", "{}")
    assert slow.dropped
    assert hub.dropped == 1
    assert slow.take() == []  # what it had pending is freed at once
    assert hub.clients("s") == 1
    assert not fast.dropped


async def test_disconnect_frees_the_client() -> None:
    hub = Hub()
    client, _, _ = hub.connect("s", DAY, None)
    hub.disconnect(client)
    hub.disconnect(client)
    assert hub.clients() == 0


def test_the_public_stream_never_carries_the_citizens_phone() -> None:
    day = DayOfEvents()
    ticket = day.new_ticket("ktp")
    with_phone = day.issued(ticket, phone="+6281234567890")
    data = public_data(with_phone.to_json(), with_phone)
    assert "6281234567890" not in data
    assert orjson.loads(data) == orjson.loads(with_phone.to_json()) | {"contact": None}
    without = day.called(ticket)
    assert public_data(without.to_json(), without) == without.to_json().decode()
