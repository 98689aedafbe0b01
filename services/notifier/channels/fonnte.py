"""Fonnte (api.fonnte.com), a WhatsApp gateway many Indonesian local governments use.

Sending is `POST {api_url}/send` with `Authorization: <token>` (no scheme) and form fields
`target` (the number) and `message` (text: Fonnte has no templates). It answers
`{"status": true, "id": ["80367170"], "process": "pending", …}` or
`{"status": false, "reason": "…"}`. Its webhooks are not signed: the URL the MPP gives Fonnte
carries `?secret=<FONNTE_WEBHOOK_SECRET>`. The status webhook posts `{"id", "stateid",
"status", "state"}`; the incoming-message webhook `{"device", "sender", "message", "inboxid"…}`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from services.notifier.channels import ChannelBusy, Outgoing, Receipt, Undeliverable
from services.notifier.channels.whatsapp import InboundText, StatusReport, wa_number

DEFAULT_API_URL = "https://api.fonnte.com"

_UNDELIVERABLE = ("invalid", "target")
"""Reasons naming the target ('invalid target', 'target invalid'): this number cannot be
reached through Fonnte. Every other refusal (device disconnected, quota) is retried."""

_FAILED = frozenset({"invalid", "expired", "url unreachable", "failed"})


class FonnteChannel:
    name = "fonnte"

    def __init__(self, api_url: str, token: str, timeout_s: float) -> None:
        self._url = f"{api_url.rstrip('/')}/send"
        self._client = httpx.AsyncClient(timeout=timeout_s, headers={"Authorization": token})

    async def send(self, message: Outgoing) -> Receipt:
        form = {"target": wa_number(message.to), "message": message.text, "countryCode": "62"}
        try:
            response = await self._client.post(self._url, data=form)
        except httpx.HTTPError as exc:
            raise ChannelBusy(f"Fonnte {type(exc).__name__}: {exc}") from None
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 or response.status_code == 429:
            raise ChannelBusy(f"Fonnte answered {response.status_code}")
        if not isinstance(body, dict) or body.get("status") is not True:
            reason = str(body.get("reason", "")) if isinstance(body, dict) else ""
            if any(word in reason.lower() for word in _UNDELIVERABLE):
                raise Undeliverable(f"Fonnte: {reason}")
            raise ChannelBusy(f"Fonnte answered {response.status_code}: {reason}"[:300])
        ids = body.get("id") or []
        provider_id = str(ids[0]) if isinstance(ids, list) and ids else None
        return Receipt(provider_message_id=provider_id, reports_later=provider_id is not None)

    async def close(self) -> None:
        await self._client.aclose()


def parse_webhook(body: Any) -> tuple[list[StatusReport], list[InboundText]]:
    """A status update (`id` + `status`/`state`) or an incoming message (`sender` + `message`)."""
    if not isinstance(body, dict):
        return [], []
    if "sender" in body and "message" in body:
        sender, text = str(body["sender"]), str(body["message"])
        inbox = body.get("inboxid") or body.get("id")
        if not inbox:  # older devices send no id: the same text at the same second is one
            seed = f"{sender}|{text}|{body.get('timestamp', '')}".encode()
            inbox = hashlib.sha256(seed).hexdigest()[:32]
        return [], [InboundText(str(inbox), sender, text)]
    if "id" in body and ("status" in body or "state" in body):
        status = str(body.get("status") or "").lower()
        state = str(body.get("state") or "").lower()
        if status in _FAILED:
            return [StatusReport(str(body["id"]), "failed", status)], []
        if state in ("delivered", "read"):
            return [StatusReport(str(body["id"]), state, None)], []
        if status == "sent" or state == "sent":
            return [StatusReport(str(body["id"]), "sent", None)], []
    return [], []
