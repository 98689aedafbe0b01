"""The webhooks: Meta's handshake, signatures over the raw body (forged and replayed POSTs
record nothing / change nothing), citizens' BATAL and STATUS answered through the real
ticketing service with the service credential, one-time codes by the authentication
template, and Fonnte as the second provider. Real broker, PostgreSQL and ticketing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from tests.integration.notifier import graph_api
from tests.integration.notifier.conftest import (
    Gateway,
    Site,
    Ticketing,
    new_phone,
    notifier_settings,
    publish,
    running,
    whatsapp_overrides,
)
from tests.integration.ticketing.conftest import issue, settings_for

TOKEN_SECRET = settings_for("", "", Path()).token_secret
"""Ticketing's test TOKEN_SECRET: the notifier signs its service token with it."""


async def say(
    client: httpx.AsyncClient, phone: str, text: str, message_id: str | None = None
) -> httpx.Response:
    body = graph_api.webhook_body(messages=[graph_api.text_message(phone, text, message_id)])
    return await client.post("/webhooks/whatsapp", content=body, headers=graph_api.signed(body))


def texts_to(meta: graph_api.Provider, phone: str) -> list[str]:
    return [r["body"]["text"]["body"] for r in meta.to(phone) if r["body"]["type"] == "text"]


async def test_handshake_and_forged_or_replayed_webhooks(
    kafka_topics: str, database_url: str, meta: graph_api.Provider
) -> None:
    settings = notifier_settings(kafka_topics, database_url, None, **whatsapp_overrides(meta))
    async with running(settings) as (_app, client):
        hub = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
        ok = await client.get(
            "/webhooks/whatsapp", params={**hub, "hub.verify_token": graph_api.VERIFY_TOKEN}
        )
        assert ok.status_code == 200 and ok.text == "1158201444"
        wrong = await client.get("/webhooks/whatsapp", params={**hub, "hub.verify_token": "x"})
        assert wrong.status_code == 403

        phone = new_phone()
        body = graph_api.webhook_body(
            messages=[graph_api.text_message(phone, "STATUS", "wamid.F1")]
        )
        unsigned = await client.post(
            "/webhooks/whatsapp", content=body, headers={"Content-Type": "application/json"}
        )
        assert unsigned.status_code == 401
        forged = await client.post(
            "/webhooks/whatsapp", content=body, headers=graph_api.signed(body, "not-the-secret")
        )
        assert forged.status_code == 403
        # signed, then changed: the signature covers the raw bytes
        tampered = body.replace(b"STATUS", b"BATAL!")
        again = await client.post(
            "/webhooks/whatsapp", content=tampered, headers=graph_api.signed(body)
        )
        assert again.status_code == 403
        conn = await asyncpg.connect(database_url)
        try:
            kept = await conn.fetchval(
                "SELECT count(*) FROM notifier.inbound_messages WHERE phone = $1", phone
            )
            assert kept == 0, "a refused webhook recorded something"
            for _ in range(3):  # the same message, delivered three times: one answer
                assert (await say(client, phone, "halo", "wamid.R1")).status_code == 200
            await meta.wait_for(lambda: bool(texts_to(meta, phone)), what="help text")
            await asyncio.sleep(0.5)
            [help_text] = texts_to(meta, phone)
            assert "BATAL" in help_text and "STATUS" in help_text
        finally:
            await conn.close()


async def test_batal_and_status_through_ticketing(
    kafka_topics: str,
    database_url: str,
    meta: graph_api.Provider,
    ticketing: Ticketing,
    sites_dir: Path,
) -> None:
    settings = notifier_settings(
        kafka_topics,
        database_url,
        None,
        **whatsapp_overrides(meta),
        ticketing_url=ticketing.url,
        token_secret=TOKEN_SECRET,
        sites_dir=sites_dir,
    )
    phone = new_phone()
    async with (
        running(settings) as (_app, client),
        httpx.AsyncClient(base_url=ticketing.url) as api,
    ):
        first = await issue(api, "uji", "ktp-el", phone=phone)
        second = await issue(api, "uji", "kk", phone=phone)
        # both `issued` templates arrive: the notifier knows the citizen's tickets
        await meta.wait_for(lambda: len(meta.to(phone)) == 2, timeout_s=40, what="issued x2")

        assert (await say(client, phone, "STATUS")).status_code == 200
        await meta.wait_for(lambda: len(texts_to(meta, phone)) == 1, what="STATUS answer")
        status = texts_to(meta, phone)[0]
        assert first["number"] in status and second["number"] in status
        assert "MPP Uji Coba" in status and "KTP-el" in status

        assert (await say(client, phone, "batal")).status_code == 200  # two waiting: which?
        await meta.wait_for(lambda: len(texts_to(meta, phone)) == 2, what="BATAL answer")
        assert "beberapa antrean" in texts_to(meta, phone)[1]

        named = f"BATAL {second['number']}"
        assert (await say(client, phone, named)).status_code == 200
        await meta.wait_for(lambda: len(texts_to(meta, phone)) == 3, what="BATAL B-…")
        assert f"Antrean {second['number']} dibatalkan" in texts_to(meta, phone)[2]
        ticket = (await api.get(f"/api/tickets/{second['id']}")).json()
        assert ticket["status"] == "cancelled"
        assert (await api.get(f"/api/tickets/{first['id']}")).json()["status"] == "waiting"


async def test_ticketing_down_means_no_answer_yet_and_the_redelivery_is_answered(
    kafka_topics: str, database_url: str, meta: graph_api.Provider, producer: AIOKafkaProducer
) -> None:
    site = Site()
    phone = new_phone()
    settings = notifier_settings(
        kafka_topics,
        database_url,
        None,
        **whatsapp_overrides(meta),
        ticketing_url="http://127.0.0.1:9",  # nothing listens
    )
    async with running(settings) as (_app, client):
        await publish(producer, site.issued(phone))
        await meta.wait_for(lambda: bool(meta.to(phone)), timeout_s=30, what="issued")
        answer = await say(client, phone, "STATUS", "wamid.DOWN1")
        assert answer.status_code == 503  # Meta delivers it again later
        assert not texts_to(meta, phone)
        # the redelivery of a help request needs no ticketing: answered once
        assert (await say(client, phone, "terima kasih", "wamid.DOWN2")).status_code == 200
        await meta.wait_for(lambda: bool(texts_to(meta, phone)), what="help")


async def test_one_time_code_by_the_authentication_template(
    kafka_topics: str, database_url: str, meta: graph_api.Provider, producer: AIOKafkaProducer
) -> None:
    site = Site()
    phone = new_phone()
    settings = notifier_settings(kafka_topics, database_url, None, **whatsapp_overrides(meta))
    async with running(settings):
        await publish(producer, site.verification(phone, "482913"))
        await meta.wait_for(lambda: bool(meta.to(phone)), timeout_s=30, what="code")
        template: dict[str, Any] = meta.to(phone)[0]["body"]["template"]
        assert template["name"] == "kode_verifikasi" and template["language"]["code"] == "id"
        body, button = template["components"]
        assert body["parameters"] == [{"type": "text", "text": "482913"}]
        assert button["type"] == "button" and button["sub_type"] == "url"
        assert button["parameters"] == [{"type": "text", "text": "482913"}]


async def test_fonnte_as_the_whatsapp_provider(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    fonnte: graph_api.Provider,
    producer: AIOKafkaProducer,
) -> None:
    site = Site()
    reached, invalid = new_phone(), new_phone()
    fonnte.script[invalid.lstrip("+")] = ["invalid"]
    settings = notifier_settings(
        kafka_topics,
        database_url,
        gateway.url,
        message_channels="fonnte,sms",
        fonnte_api_url=fonnte.url,
        fonnte_token=graph_api.FONNTE_TOKEN,
        fonnte_webhook_secret=graph_api.FONNTE_SECRET,
    )
    async with running(settings) as (_app, client):
        ticket = site.issued(reached)
        await publish(producer, ticket)
        await publish(producer, site.issued(invalid))
        await fonnte.wait_for(lambda: bool(fonnte.to(reached)), timeout_s=30, what="fonnte")
        sent = fonnte.to(reached)[0]
        assert ticket.ticket_number in sent["body"]["message"]
        await gateway.wait_for(lambda: bool(gateway.to(invalid)), what="SMS after invalid")
        assert not gateway.to(reached)

        url = "/webhooks/fonnte"
        state = {"device": "6281100000000", "id": sent["id"], "stateid": "x", "status": "sent"}
        assert (await client.post(url, json=state)).status_code == 401
        assert (await client.post(url, params={"secret": "x"}, json=state)).status_code == 403
        ok = await client.post(url, params={"secret": graph_api.FONNTE_SECRET}, json=state)
        assert ok.status_code == 200
        conn = await asyncpg.connect(database_url)
        try:
            row = await conn.fetchrow(
                """SELECT m.status, m.delivery_status, d.status AS handover
                   FROM notifier.messages m JOIN notifier.deliveries d ON d.message_id = m.id
                   WHERE m.ticket_id = $1""",
                ticket.ticket_id,
            )
        finally:
            await conn.close()
        assert row is not None and tuple(row) == ("sent", "sent", "sent")
        inbound = {"device": "6281100000000", "sender": reached.lstrip("+"), "message": "halo"}
        answer = await client.post(url, params={"secret": graph_api.FONNTE_SECRET}, data=inbound)
        assert answer.status_code == 200
        await fonnte.wait_for(lambda: len(fonnte.to(reached)) == 2, what="help by Fonnte")
        assert "BATAL" in fonnte.to(reached)[1]["body"]["message"]
