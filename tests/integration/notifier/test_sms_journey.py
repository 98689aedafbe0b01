"""The SMS a citizen receives over a visit, through a real broker, PostgreSQL and gateway."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from shared import links
from tests.integration.notifier.conftest import (
    SITE,
    Gateway,
    Site,
    Ticketing,
    new_phone,
    notifier_settings,
    publish,
    running,
    start_at,
)


async def test_issued_near_turn_called_survey_each_once(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)  # its supervisor reads the messages
    phones = [new_phone() for _ in range(6)]
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, ticketing_url=ticketing.url
    )
    async with running(settings, headers=supervisor) as (_app, client):
        tickets = [site.issued(phone, waiting_ahead=i) for i, phone in enumerate(phones)]
        walk_in = site.issued(None, waiting_ahead=6)  # no phone: never texted
        for t in [*tickets, walk_in]:
            await publish(producer, t)
        await gateway.wait_for(lambda: all(gateway.to(p) for p in phones), what="six issued SMS")
        first = tickets[0]
        assert gateway.to(phones[0])[0]["text"] == (
            f"MPP Kab. Balangan: Antrean {first.ticket_number} (Perekaman KTP-el). "
            f"Tidak ada antrean di depan Anda. Cek: http://mpp.test/t/{first.ticket_id}"
        )
        assert gateway.to(phones[0])[0]["event_id"] == str(first.event_id)
        assert gateway.to(phones[0])[0]["kind"] == "issued"
        assert "4 orang di depan Anda, perkiraan 20 menit" in gateway.to(phones[4])[0]["text"]

        # Ticket 0 is called; 1..4 are now 0..3 ahead (near turn), 5 is 4 ahead (not yet).
        await publish(producer, site.called(first, tickets[1:]))
        await gateway.wait_for(
            lambda: (
                len(gateway.to(phones[0])) == 2
                and all(len(gateway.to(p)) == 2 for p in phones[1:5])
            ),
            what="called + four near_turn",
        )
        called = gateway.to(phones[0])[1]
        assert called["kind"] == "called"
        assert called["text"] == (
            f"MPP Kab. Balangan: Nomor {first.ticket_number} dipanggil ke Loket 3. "
            "Silakan menuju loket."
        )
        near = gateway.to(phones[3])[1]
        assert near["kind"] == "near_turn"
        assert near["event_id"] == str(tickets[3].event_id)  # the ticket's ticket-issued id
        assert near["text"] == (
            f"MPP Kab. Balangan: Giliran Anda segera tiba: {tickets[3].ticket_number}, "
            "2 orang lagi. Mohon bersiap di dekat loket."
        )

        # Served: a survey; the same tickets near the head get no second near_turn.
        await publish(producer, site.completed(first, "served", tickets[1:]))
        # Ticket 1 called, then recalled; ticket 5 reaches 3 ahead.
        await publish(producer, site.called(tickets[1], tickets[2:]))
        await publish(producer, site.called(tickets[1], tickets[2:], call_count=2))
        await publish(producer, site.completed(tickets[1], "no_show", tickets[2:]))
        await gateway.wait_for(
            lambda: (
                len(gateway.to(phones[0])) == 3
                and len(gateway.to(phones[1])) == 4
                and len(gateway.to(phones[5])) == 2
            ),
            what="survey, call, recall, near_turn of the last ticket",
        )
        survey = gateway.to(phones[0])[2]
        assert survey["kind"] == "survey"
        # a signed, expiring link (shared.links) that ticketing's survey page accepts
        prefix = f"Mohon nilai layanan kami: http://mpp.test/survey/{first.ticket_id}?sig="
        assert prefix in survey["text"]
        sig = survey["text"].split("?sig=", 1)[1]
        assert links.survey_signature_problem(first.ticket_id, sig, settings.token_secret) is None
        assert [m["kind"] for m in gateway.to(phones[1])] == [
            "issued",
            "near_turn",
            "called",
            "called",
        ]
        assert gateway.to(phones[1])[3]["text"].startswith(
            f"MPP Kab. Balangan: Panggilan ulang. Nomor {tickets[1].ticket_number}"
        )
        assert gateway.to(phones[5])[1]["kind"] == "near_turn"

        await asyncio.sleep(1.0)  # nothing more may come: near_turn once, no survey for no_show
        for phone, kinds in zip(
            phones,
            [
                ["issued", "called", "survey"],
                ["issued", "near_turn", "called", "called"],
                ["issued", "near_turn"],
                ["issued", "near_turn"],
                ["issued", "near_turn"],
                ["issued", "near_turn"],
            ],
            strict=True,
        ):
            assert [m["kind"] for m in gateway.to(phone)] == kinds

        stats = (await client.get("/api/stats")).json()
        # (a fresh consumer group also reads earlier tests' events: at least ours)
        assert stats["messages"]["sent"] >= 6 + 1 + 4 + 1 + 2 + 1
        assert stats["messages"]["failed"] == 0
        listed = (
            await client.get("/api/messages", params={"ticket_id": str(first.ticket_id)})
        ).json()
        assert [m["kind"] for m in listed["messages"]] == ["issued", "called", "survey"]
        assert all(m["status"] == "sent" for m in listed["messages"])
        assert phones[0] not in str(listed)  # masked for operators too


async def test_duplicates_send_once_even_across_restarts(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    notifier_start: dict[tuple[str, int], int],
) -> None:
    site = Site()
    phone = new_phone()
    ticket = site.issued(phone, waiting_ahead=5)
    call = site.called(ticket)
    settings = notifier_settings(kafka_topics, database_url, gateway.url)
    async with running(settings):
        for event in (ticket, ticket, call, call):
            await publish(producer, event)
        await gateway.wait_for(lambda: len(gateway.to(phone)) >= 2, what="issued + called")
        await asyncio.sleep(1.0)
    assert [m["kind"] for m in gateway.to(phone)] == ["issued", "called"]

    # A restarted notifier put back at the test's start (its stored offsets reset) re-reads
    # both copies, and the same events are published once more: still nothing new goes out.
    await start_at(database_url, notifier_start)
    async with running(settings) as (app, _client):
        for event in (ticket, call):
            await publish(producer, event)
        later = site.issued(new_phone(), waiting_ahead=6)  # proves the consumer got this far
        await publish(producer, later)
        assert later.contact is not None
        later_phone = later.contact.phone
        await gateway.wait_for(lambda: bool(gateway.to(later_phone)), what="later SMS")
        await asyncio.sleep(0.5)
        assert app.state.consumption.outcomes["duplicate"] >= 4
    assert [m["kind"] for m in gateway.to(phone)] == ["issued", "called"]


async def test_a_multi_service_visit_gets_its_survey_once_at_the_end(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    """A step of a visit served with a next service (transferred_to_service_id set) is not
    the end of the visit: no survey yet; the last step's `served` brings it."""
    site = Site()
    phone = new_phone()
    settings = notifier_settings(kafka_topics, database_url, gateway.url)
    async with running(settings):
        ticket = site.issued(phone)
        await publish(producer, ticket)
        await publish(producer, site.called(ticket))
        step = site.completed(ticket).model_copy(
            update={"transferred_to_service_id": "kartu-keluarga"}
        )
        await publish(producer, step)
        await publish(
            producer, site.called(ticket, call_count=1).model_copy(update={"event_id": uuid4()})
        )
        # as at a real counter, the citizen is served after the call reached them: the topics
        # are separate partitions, and a call consumed after the visit's end is rightly
        # dropped (the call is over), which published back to back happened 2 runs in 5
        await gateway.wait_for(
            lambda: [m["kind"] for m in gateway.to(phone)].count("called") == 2,
            what="the second step's called SMS",
        )
        await publish(producer, site.completed(ticket).model_copy(update={"event_id": uuid4()}))
        await gateway.wait_for(
            lambda: any(m["kind"] == "survey" for m in gateway.to(phone)), what="survey"
        )
        await asyncio.sleep(0.5)
    kinds = [m["kind"] for m in gateway.to(phone)]
    assert kinds.count("survey") == 1
    assert kinds.count("called") == 2
    assert kinds.index("survey") == len(kinds) - 1
