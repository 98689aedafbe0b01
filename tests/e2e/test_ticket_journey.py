"""A citizen's whole visit through the three real services, the real broker and PostgreSQL:
kiosk ticket → SMS → counter login → call → board (SSE) → SMS → completion → survey SMS."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.e2e.conftest import SmsGateway, System
from tests.e2e.sse import BoardListener

pytestmark = pytest.mark.e2e

SITE = "balangan"


async def test_ticket_from_kiosk_to_board_to_sms_to_completion(
    system: System, sms_gateway: SmsGateway
) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        site = (await api.get(f"/api/sites/{SITE}")).json()
        service = next(s for s in site["services"] if s["id"] == "ktp-el")
        counter = next(c for c in site["counters"] if "ktp-el" in c["service_ids"])

        async with BoardListener(f"{system.display}/api/sites/{SITE}/board/stream") as board:
            # 1. the kiosk issues a ticket with a phone number for SMS
            response = await api.post(
                f"/api/sites/{SITE}/tickets",
                json={"service_id": "ktp-el", "phone": "0812-3456-7890"},
                headers={"Idempotency-Key": "e2e-kiosk-tap-1"},
            )
            assert response.status_code == 201, response.text
            ticket = response.json()
            number = ticket["number"]
            assert number.startswith(f"{service['prefix']}-")
            assert ticket["status"] == "waiting"

            issued_sms = await sms_gateway.wait_for("issued", number)
            assert issued_sms["to"] == "+6281234567890"

            # the board learns the waiting count from the ticket-issued event
            await board.wait_for(
                lambda e: e.event == "ticket-issued" and e.json()["ticket_id"] == ticket["id"]
            )

            # 2. the counter's operator logs in and calls next
            login = await api.post(
                "/api/auth/token",
                data={"username": counter["id"], "password": system.env["MPP_DEMO_PASSWORD"]},
            )
            assert login.status_code == 200, login.text
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

            sent_at = time.perf_counter()
            called = await api.post(
                f"/api/sites/{SITE}/counters/{counter['id']}/call-next", headers=auth
            )
            assert called.status_code == 200, called.text
            assert called.json()["id"] == ticket["id"]
            assert called.json()["status"] == "called"

            # 3. the board shows it within a second
            call_event = await board.wait_for(
                lambda e: e.event == "ticket-called" and e.json()["ticket_id"] == ticket["id"],
                timeout=5,
            )
            call_to_board = call_event.received_at - sent_at
            assert call_to_board < 1.0, f"call reached the board after {call_to_board:.3f}s"
            assert call_event.json()["counter_name"] == counter["name"]
            snapshot = (
                await httpx.AsyncClient().get(f"{system.display}/api/sites/{SITE}/board")
            ).json()
            serving = [s for s in snapshot["now_serving"] if s["counter_id"] == counter["id"]]
            assert serving and serving[0]["ticket_number"] == number

            called_sms = await sms_gateway.wait_for("called", number)
            assert counter["name"] in called_sms["text"]

            # 4. the operator completes the service
            done = await api.post(f"/api/tickets/{ticket['id']}/complete", headers=auth)
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "served"
            completed = await board.wait_for(
                lambda e: e.event == "service-completed" and e.json()["ticket_id"] == ticket["id"]
            )
            assert completed.json()["outcome"] == "served"
            # the survey SMS carries a signed link to this ticket's survey, which works
            survey_sms = await sms_gateway.wait_for("survey", ticket["id"])
            link = re.search(r"(http\S+/survey/\S+)", survey_sms["text"])
            assert link and "?sig=" in link.group(1), survey_sms["text"]
            sig = link.group(1).split("?sig=", 1)[1]
            answered = await api.post(
                f"/api/tickets/{ticket['id']}/survey",
                params={"sig": sig},
                json={"answers": [4, 4, 3, 4, 3, 4, 4, 3, 4], "comment": "Cepat dan jelas"},
            )
            assert answered.status_code == 201, answered.text
            forged = await api.post(
                f"/api/tickets/{ticket['id']}/survey",
                params={"sig": sig[:-2] + "xx"},
                json={"answers": [1] * 9},
            )
            assert forged.status_code == 403

            # nothing on the public board stream carries the citizen's phone number
            assert not any("81234567890" in raw for raw in board.raw)

        # a retried kiosk request with the same Idempotency-Key returns the first ticket
        again = await api.post(
            f"/api/sites/{SITE}/tickets",
            json={"service_id": "ktp-el", "phone": "0812-3456-7890"},
            headers={"Idempotency-Key": "e2e-kiosk-tap-1"},
        )
        assert again.json()["id"] == ticket["id"]

    # each SMS kind exactly once for this ticket
    kinds = [
        s["kind"] for s in sms_gateway.received if number in s["text"] or ticket["id"] in s["text"]
    ]
    assert sorted(kinds) == ["called", "issued", "survey"], kinds


async def test_online_booking_code_reaches_the_phone_by_sms(
    system: System, sms_gateway: SmsGateway
) -> None:
    """Ticketing's outbox → topic phone-verification-requested → notifier → SMS gateway."""
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        started = await api.post(
            "/api/sites/tabanan/phone-verifications", json={"phone": "0813-5555-1212"}
        )
        assert started.status_code == 202, started.text
        sms = await sms_gateway.wait_for("verification", "Kode verifikasi", timeout=60)
        assert sms["to"] == "+6281355551212"
        found = re.search(r"\b(\d{6})\b", sms["text"])
        assert found, sms["text"]
        code = found.group(1)
        confirmed = await api.post(
            f"/api/phone-verifications/{started.json()['verification_id']}/confirm",
            json={"code": code},
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["verification_token"]
