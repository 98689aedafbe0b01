"""The messaging channels' webhooks (CONTRACT.md "Messaging channels"), open to the internet
but checked here: Meta's handshake and signed POSTs at /webhooks/whatsapp, Fonnte's POSTs at
/webhooks/fonnte with the shared secret in the URL. A refused request records nothing."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from services.notifier import deliveries
from services.notifier.channels import fonnte, whatsapp
from services.notifier.channels.whatsapp import InboundText, StatusReport
from services.notifier.metrics import count_effects
from services.notifier.replies import Replies, TicketingUnavailable
from services.notifier.settings import NotifierSettings

log = logging.getLogger("notifier.webhooks")

router = APIRouter(tags=["webhooks"])


class Refusal(BaseModel):
    detail: str


def _answers(**codes: str) -> dict[int | str, dict[str, Any]]:
    return {int(code[1:]): {"model": Refusal, "description": text} for code, text in codes.items()}


SIGNED = _answers(
    s400="The body is not JSON",
    s401="No signature (X-Hub-Signature-256) or secret",
    s403="A wrong signature or secret, or the channel is not set up",
    s503="Not ready, or ticketing did not answer: the channel delivers it again",
)


def _settings(request: Request) -> NotifierSettings:
    settings: NotifierSettings = request.app.state.settings
    return settings


@router.get(
    "/webhooks/whatsapp",
    response_class=PlainTextResponse,
    responses={403: {"description": "A wrong verify token, or WhatsApp is not set up"}},
)
async def whatsapp_handshake(
    request: Request,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    verify_token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> PlainTextResponse:
    """Meta's subscription check: echo `hub.challenge` when the verify token is ours."""
    expected = _settings(request).whatsapp_verify_token
    if (
        mode != "subscribe"
        or not expected
        or not hmac.compare_digest(verify_token.encode(), expected.encode())
    ):
        return PlainTextResponse(
            "hub.verify_token salah atau WhatsApp tidak diaktifkan", status_code=403
        )
    return PlainTextResponse(challenge)


@router.post("/webhooks/whatsapp", responses=SIGNED)
async def whatsapp_webhook(request: Request) -> dict[str, bool]:
    """Statuses of our messages and citizens' messages, signed with the app secret."""
    secret = _settings(request).whatsapp_app_secret
    raw = await request.body()
    header = request.headers.get("x-hub-signature-256")
    if not header:
        raise HTTPException(401, detail="X-Hub-Signature-256 wajib")
    if not secret or not whatsapp.signature_ok(secret, raw, header):
        raise HTTPException(403, detail="X-Hub-Signature-256 tidak cocok")
    statuses, inbound = whatsapp.parse_webhook(_json(raw))
    await _process(request, "whatsapp", statuses, inbound)
    return {"ok": True}


@router.post("/webhooks/fonnte", responses=SIGNED)
async def fonnte_webhook(
    request: Request, secret: Annotated[str, Query(max_length=200)] = ""
) -> dict[str, bool]:
    """Fonnte's status and incoming-message webhooks (JSON, or a form)."""
    expected = _settings(request).fonnte_webhook_secret
    if not secret:
        raise HTTPException(401, detail="parameter secret wajib")
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise HTTPException(403, detail="parameter secret salah")
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        body: Any = _json(raw)
    else:
        body = dict(await request.form())
    statuses, inbound = fonnte.parse_webhook(body)
    await _process(request, "fonnte", statuses, inbound)
    return {"ok": True}


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise HTTPException(400, detail="badan permintaan bukan JSON") from None


async def _process(
    request: Request, channel: str, statuses: list[StatusReport], inbound: list[InboundText]
) -> None:
    pool = request.app.state.pool
    if pool is None:
        raise HTTPException(503, detail="notifier belum siap", headers={"Retry-After": "5"})
    async with pool.acquire() as conn:
        for report in statuses:
            effect = await deliveries.record_status(
                conn, channel, report.provider_message_id, report.status, report.error
            )
            if effect is not None:
                count_effects([effect])
    replies: Replies = request.app.state.replies
    for message in inbound:
        try:
            await replies.handle(channel, message)
        except TicketingUnavailable as exc:
            log.warning("inbound %s message not answered now (%s): redelivery", channel, exc)
            raise HTTPException(
                503, detail="layanan tiket tidak menjawab; kirim ulang nanti"
            ) from None
