"""WhatsApp Business Cloud API (Meta): sending, and reading its signed webhooks.

Sending is `POST {api_url}/{phone_number_id}/messages` with `Authorization: Bearer <token>`:
a `template` message in language `id` for what the system starts, a `text` message for a
reply inside the citizen's 24-hour window. Meta answers 200 `{"messages": [{"id": "wamid…"}]}`
and reports later, on the webhook, whether it was `sent`, `delivered`, `read` or `failed`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from services.notifier.channels import ChannelBusy, Outgoing, Receipt, Template, Undeliverable
from services.notifier.channels.templates import AUTHENTICATION, LANGUAGE

DEFAULT_API_URL = "https://graph.facebook.com/v21.0"

BUSY_CODES = frozenset(
    {
        1,  # unknown API error
        2,  # service temporarily unavailable
        4,  # application request limit reached
        80007,  # WhatsApp Business Account rate limit
        130429,  # Cloud API throughput rate limit hit
        131000,  # something went wrong
        131016,  # service unavailable
        131056,  # too many messages to this pair of numbers in a short time
    }
)
"""Meta's error codes that mean "later": retried on WhatsApp with a back-off. Every other
error (131026 undeliverable, 131047 re-engagement, 132000/132001 template, 190 token) means
WhatsApp will not carry this message: the next channel takes it."""

REPORTED = ("sent", "delivered", "read", "failed")


def wa_number(phone: str) -> str:
    """'+6281234567890' → '6281234567890' (Meta's `to` and `wa_id`: digits only)."""
    return phone.lstrip("+")


def template_payload(to: str, template: Template) -> dict[str, Any]:
    components: list[dict[str, Any]] = [
        {"type": "body", "parameters": [{"type": "text", "text": v} for v in template.values]}
    ]
    if template.name in AUTHENTICATION and template.copy_code is not None:
        # the copy-code button of an authentication template carries the code again
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": template.copy_code}],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa_number(to),
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": LANGUAGE},
            "components": components,
        },
    }


def text_payload(to: str, text: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa_number(to),
        "type": "text",
        "text": {"preview_url": False, "body": text},
    }


def payload_of(message: Outgoing) -> dict[str, Any]:
    """A template when the system starts the conversation, text for a reply."""
    if message.template is not None:
        return template_payload(message.to, message.template)
    return text_payload(message.to, message.text)


def refusal(status_code: int, body: Any) -> ChannelBusy | Undeliverable:
    """What an error answer of the Graph API means for this message."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") if isinstance(error, dict) else None
    details = error.get("error_data", {}).get("details", "") if isinstance(error, dict) else ""
    reason = f"WhatsApp {status_code} code {code}: {error.get('message', '')} {details}".strip()
    if status_code >= 500 or status_code == 429 or code in BUSY_CODES:
        return ChannelBusy(reason)
    return Undeliverable(reason, {"code": str(code)})


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, api_url: str, phone_number_id: str, token: str, timeout_s: float) -> None:
        self._url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self._client = httpx.AsyncClient(
            timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    async def send(self, message: Outgoing) -> Receipt:
        try:
            response = await self._client.post(self._url, json=payload_of(message))
        except httpx.HTTPError as exc:
            raise ChannelBusy(f"WhatsApp {type(exc).__name__}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not response.is_success:
            raise refusal(response.status_code, body)
        try:
            wamid = str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise ChannelBusy(
                f"WhatsApp answered {response.status_code} without a message id"
            ) from None
        return Receipt(provider_message_id=wamid, reports_later=True)

    async def close(self) -> None:
        await self._client.aclose()


# -- the webhook -----------------------------------------------------------------------


def signature_ok(app_secret: str, raw_body: bytes, header: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body, compared in
    constant time."""
    scheme, _, received = header.partition("=")
    if scheme != "sha256" or not received:
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.strip().lower())


@dataclass(frozen=True)
class StatusReport:
    provider_message_id: str
    status: str
    error: str | None


@dataclass(frozen=True)
class InboundText:
    provider_message_id: str
    phone: str
    body: str


def _status(item: dict[str, Any]) -> StatusReport | None:
    status, wamid = item.get("status"), item.get("id")
    if status not in REPORTED or not isinstance(wamid, str):
        return None
    error = None
    errors = item.get("errors") or []
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        error = f"{first.get('code')} {first.get('title', '')}".strip()
    return StatusReport(wamid, str(status), error)


def _text_of(item: dict[str, Any]) -> str:
    if item.get("type") == "text":
        return str((item.get("text") or {}).get("body", ""))
    if item.get("type") == "button":  # a quick-reply button of a template
        return str((item.get("button") or {}).get("text", ""))
    return ""  # images, stickers …: the help text answers


def parse_webhook(body: Any) -> tuple[list[StatusReport], list[InboundText]]:
    """The statuses and the citizens' messages in one webhook POST (entry → changes → value)."""
    statuses: list[StatusReport] = []
    inbound: list[InboundText] = []
    if not isinstance(body, dict):
        return statuses, inbound
    for entry in body.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            for item in value.get("statuses") or []:
                report = _status(item) if isinstance(item, dict) else None
                if report is not None:
                    statuses.append(report)
            for item in value.get("messages") or []:
                if isinstance(item, dict) and item.get("id") and item.get("from"):
                    inbound.append(InboundText(str(item["id"]), str(item["from"]), _text_of(item)))
    return statuses, inbound
