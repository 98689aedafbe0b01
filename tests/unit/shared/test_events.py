"""Event (de)serialisation: every event survives a round trip through its JSON bytes, and
every malformed message is refused with a reason (never an exception the consumer did not
expect). Property tests with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events import (
    MAX_EVENT_BYTES,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
    UnprocessableMessage,
    parse_event,
)
from shared.phone import InvalidPhone, mask_phone, normalise_phone

names = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=60)
ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000))


def envelope() -> dict[str, st.SearchStrategy[object]]:
    return {
        "event_id": st.uuids(),
        "occurred_at": moments,
        "site_id": ids,
        "site_name": names,
        "ticket_id": st.uuids(),
        "ticket_number": st.from_regex(r"[A-Z]{1,3}-\d{3,5}", fullmatch=True),
        "service_id": ids,
        "service_name": names,
        "agency_id": ids,
        "agency_name": names,
        "sequence": st.none() | st.integers(1, 10**9),
        "waiting": st.dictionaries(ids, st.integers(0, 10_000), max_size=3),
    }


issued = st.builds(
    TicketIssued,
    **envelope(),
    priority=st.sampled_from(["regular", "priority"]),
    channel=st.sampled_from(["kiosk", "online", "mobile"]),
    waiting_ahead=st.integers(0, 5000),
    estimated_wait_s=st.none() | st.integers(0, 86_400),
    contact=st.none(),
)
called = st.builds(
    TicketCalled, **envelope(), counter_id=ids, counter_name=names, call_count=st.integers(1, 9)
)
completed = st.builds(
    ServiceCompleted,
    **envelope(),
    counter_id=st.none() | ids,
    outcome=st.sampled_from(["served", "no_show", "transferred", "cancelled"]),
    wait_s=st.none() | st.integers(0, 86_400),
    service_s=st.none() | st.integers(0, 86_400),
    transferred_to_service_id=st.none() | ids,
)


@settings(max_examples=200)
@given(st.one_of(issued, called, completed))
def test_every_event_round_trips_through_its_json(event: TicketIssued) -> None:
    raw = event.to_json()
    again = parse_event(raw, event.event_type)
    assert again == event
    data = orjson.loads(raw)
    assert data["schema_version"] == 1
    assert data["event_type"] == event.event_type
    assert data["occurred_at"].endswith("Z")


@settings(max_examples=200)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_with_a_reason_or_parsed(raw: bytes) -> None:
    try:
        parse_event(raw)
        reason = "parsed"
    except UnprocessableMessage as exc:
        reason = exc.reason
    assert reason


@settings(max_examples=100)
@given(st.one_of(issued, called, completed), st.sampled_from(["schema_version", "event_type"]))
def test_wrong_version_or_type_is_refused(event: TicketIssued, field: str) -> None:
    data = orjson.loads(event.to_json())
    data[field] = 2 if field == "schema_version" else "ticket-teleported"
    with pytest.raises(UnprocessableMessage):
        parse_event(orjson.dumps(data))


def test_an_event_on_the_wrong_topic_or_too_large_is_refused() -> None:
    event = TicketCalled(
        event_id="6f1c1e3e-7f0a-4e38-9a63-0c6f7b2f5a10",
        occurred_at=datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=1),
        site_id="balangan",
        site_name="MPP Kabupaten Balangan",
        ticket_id="1b0e2f5e-5f53-4a8b-9df6-9a0e6c9e3c11",
        ticket_number="A-001",
        service_id="ktp-el",
        service_name="KTP-el",
        agency_id="disdukcapil",
        agency_name="Disdukcapil",
        counter_id="balangan-loket-01",
        counter_name="Loket 1",
        call_count=1,
    )
    with pytest.raises(UnprocessableMessage, match="on topic"):
        parse_event(event.to_json(), "ticket-issued")
    with pytest.raises(UnprocessableMessage, match="too large"):
        parse_event(b" " * (MAX_EVENT_BYTES + 1))


@given(st.from_regex(r"(\+62|62|0)8[1-9]\d{7,10}", fullmatch=True))
def test_indonesian_mobile_numbers_normalise_and_mask(raw: str) -> None:
    phone = normalise_phone(raw)
    assert phone.startswith("+628")
    masked = mask_phone(phone)
    assert masked[:6] == phone[:6] and masked[-3:] == phone[-3:]
    assert len(masked) == len(phone) and masked[6:-3] == "*" * (len(phone) - 9)


@given(st.text(max_size=20).filter(lambda s: not s.strip().lstrip("+").isdigit()))
def test_garbage_is_not_a_phone(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)
