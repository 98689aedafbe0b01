"""The notifier's HTTP API is for supervisors and admins of the site, checked with the real
ticketing (CONTRACT.md "Who may do what"), and no answer holds a one-time code."""

from __future__ import annotations

import re

import asyncpg
from aiokafka import AIOKafkaProducer

from services.notifier.staff import StaffDirectory
from shared.embedded import free_port
from shared.phone import mask_phone
from tests.integration.notifier.conftest import (
    SITE,
    Gateway,
    Site,
    Ticketing,
    new_phone,
    notifier_settings,
    publish,
    running,
)


async def test_message_history_is_for_the_sites_supervisor_and_hides_codes(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)
    phone = new_phone()
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, ticketing_url=ticketing.url
    )
    async with running(settings) as (_app, client):
        verification = site.verification(phone, "583920")
        await publish(producer, verification)
        await gateway.wait_for(lambda: bool(gateway.to(phone)), what="the code's SMS")
        assert "583920" in gateway.to(phone)[0]["text"]  # the citizen gets the code
        path = "/api/messages"
        params = {"ticket_id": str(verification.verification_id)}

        assert (await client.get(path, params=params)).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        refused = await client.get(path, params=params, headers=bad)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "583920" not in refused.text
        for username in ("uji-loket-01", "lahat-supervisor", "balangan-admin"):
            who = await ticketing.login(username)  # an operator, another site's staff
            answer = await client.get(path, params=params, headers=who)
            assert answer.status_code == 403, (username, answer.text)
            assert answer.json()["detail"]
            assert "583920" not in answer.text

        shown = await client.get(path, params=params, headers=supervisor)
        assert shown.status_code == 200, shown.text
        [message] = shown.json()["messages"]
        assert message["kind"] == "verification" and message["status"] == "sent"
        assert message["text"] == "(kode verifikasi disembunyikan)"
        assert message["to"] == mask_phone(phone)  # '+62812****001'
        assert message["to"].startswith(phone[:6]) and "****" in message["to"]
        assert "583920" not in shown.text and phone not in shown.text

        # the deployment's admin (config/deployment.toml; home site balangan) reads every site
        admin = await client.get(path, params=params, headers=await ticketing.login("mpp-admin"))
        assert admin.status_code == 200, admin.text
        assert "583920" not in admin.text

        stats = await client.get("/api/stats", headers=supervisor)
        assert stats.status_code == 200
        assert stats.json()["site_id"] == SITE
        assert stats.json()["by_kind"]["verification"]["sent"] == 1
        other = await client.get("/api/stats", params={"site_id": "lahat"}, headers=supervisor)
        assert other.status_code == 403


async def test_open_paths_need_no_token_and_everything_else_does(
    kafka_topics: str, database_url: str, ticketing: Ticketing
) -> None:
    settings = notifier_settings(kafka_topics, database_url, None, ticketing_url=ticketing.url)
    async with running(settings) as (_app, client):
        for path in ("/health", "/metrics", "/openapi.json", "/asyncapi.json", "/docs"):
            assert (await client.get(path)).status_code == 200, path
        # default deny: a path no route serves is refused before it is looked up
        assert (await client.get("/api/not-a-route")).status_code == 401
        assert (await client.get("/api/stats")).status_code == 401
        operator = await ticketing.login("uji-loket-01")
        assert (await client.get("/api/stats", headers=operator)).status_code == 403


async def test_ticketing_unreachable_is_503_never_200(
    kafka_topics: str, database_url: str, ticketing: Ticketing, supervisor: dict[str, str]
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = notifier_settings(kafka_topics, database_url, None, ticketing_url=nobody)
    async with running(settings) as (_app, client):
        answer = await client.get("/api/stats", headers=supervisor)
        assert answer.status_code == 503, answer.text
        assert answer.json()["detail"]
        assert (await client.get("/api/stats")).status_code == 401  # no token: nothing to ask
        assert (await client.get("/health")).status_code == 200


async def test_an_answer_of_ticketing_is_kept_at_most_five_seconds(
    ticketing: Ticketing, ticketing_db: str, supervisor: dict[str, str]
) -> None:
    now = [1000.0]
    directory = StaffDirectory(ticketing.url, clock=lambda: now[0])
    token = supervisor["Authorization"].removeprefix("Bearer ")
    try:
        staff = await directory.who(token)
        assert staff is not None and (staff.role, staff.site_id) == ("supervisor", SITE)
        assert await directory.who(token) == staff
        assert directory.asked == 1  # the second came from the cache
        conn = await asyncpg.connect(ticketing_db)
        try:
            await conn.execute(
                "UPDATE ticketing.staff SET active = false WHERE username = 'uji-supervisor'"
            )
        finally:
            await conn.close()
        now[0] += 4.9
        assert await directory.who(token) == staff  # still the cached answer
        now[0] += 0.2  # 5.1 s after ticketing's answer
        assert await directory.who(token) is None  # the deactivated account is refused
        assert directory.asked == 2
        assert await directory.who("forged") is None
    finally:
        await directory.close()


async def test_survey_links_and_phones_are_not_shown_in_full(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)
    phone = new_phone()
    settings = notifier_settings(
        kafka_topics,
        database_url,
        gateway.url,
        ticketing_url=ticketing.url,
        token_secret="rahasia-token-uji-yang-cukup-panjang-32",
    )
    async with running(settings, headers=supervisor) as (_app, client):
        ticket = site.issued(phone)
        await publish(producer, ticket)
        await publish(producer, site.called(ticket))
        await gateway.wait_for(lambda: len(gateway.to(phone)) == 2, what="issued, called")
        await publish(producer, site.completed(ticket))
        await gateway.wait_for(lambda: len(gateway.to(phone)) == 3, what="issued, called, survey")
        survey = gateway.to(phone)[2]["text"]
        sig = re.search(r"sig=(\S+)", survey)
        assert sig is not None  # the citizen's link is signed
        listed = await client.get("/api/messages", params={"ticket_id": str(ticket.ticket_id)})
        assert listed.status_code == 200
        assert sig.group(1) not in listed.text and phone not in listed.text
        assert [m["kind"] for m in listed.json()["messages"]] == ["issued", "called", "survey"]
        assert "sig=(disembunyikan)" in listed.json()["messages"][2]["text"]
