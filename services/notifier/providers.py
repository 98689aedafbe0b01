"""Where an SMS goes: the log (development, demos) or an HTTP gateway (webhook)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from shared.phone import mask_phone

log = logging.getLogger("notifier.sms")


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    event_id: str
    kind: str


class SmsNotSent(Exception):
    """The provider did not accept the SMS; the sender retries it later."""


class SmsProvider(Protocol):
    async def send(self, sms: Sms) -> None:
        """Deliver `sms` or raise SmsNotSent (or any exception) saying why."""
        ...

    async def close(self) -> None: ...


def sms_log_line(sms: Sms) -> str:
    """What the log provider writes: the phone masked, never in full."""
    return f"SMS to {mask_phone(sms.to)} [{sms.kind}] {sms.text}"


class LogProvider:
    """SMS_PROVIDER=log: every SMS is a log line."""

    async def send(self, sms: Sms) -> None:
        log.info("%s", sms_log_line(sms))

    async def close(self) -> None:
        return None


class WebhookProvider:
    """SMS_PROVIDER=webhook: POST {"to", "text", "event_id", "kind"}; any 2xx is sent.

    `event_id` + `kind` let the gateway drop the rare repeat (a process that died
    between the gateway's 2xx and recording it as sent).
    """

    def __init__(self, url: str, timeout_s: float) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, sms: Sms) -> None:
        try:
            response = await self._client.post(
                self._url,
                json={"to": sms.to, "text": sms.text, "event_id": sms.event_id, "kind": sms.kind},
            )
        except httpx.HTTPError as exc:
            raise SmsNotSent(f"{type(exc).__name__}: {exc}") from None
        if not response.is_success:
            raise SmsNotSent(f"gateway answered {response.status_code}: {response.text[:200]}")

    async def close(self) -> None:
        await self._client.aclose()


def new_provider(name: str, webhook_url: str, timeout_s: float) -> SmsProvider:
    if name == "webhook":
        return WebhookProvider(webhook_url, timeout_s)
    return LogProvider()
