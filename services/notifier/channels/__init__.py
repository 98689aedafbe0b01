"""The channels a message can go by (CONTRACT.md "Messaging channels"): `whatsapp` (Meta's
Cloud API), `fonnte` (Fonnte's WhatsApp gateway) and `sms` (SMS_PROVIDER). Each one takes an
`Outgoing` and answers with a `Receipt`, or raises `ChannelBusy` (try this channel again
later: timeouts, 5xx, rate limits) or `Undeliverable` (this channel cannot reach this
citizen: go to the next one now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

CHANNEL_NAMES = ("whatsapp", "fonnte", "sms")


@dataclass(frozen=True)
class Template:
    """A message template approved by Meta: its name and its body parameters, in order."""

    name: str
    values: tuple[str, ...]
    copy_code: str | None = None
    """Authentication templates: the one-time code of the copy-code button."""


@dataclass(frozen=True)
class Outgoing:
    to: str
    """E.164, '+62…'."""
    kind: str
    text: str
    """The plain text (SMS, Fonnte, WhatsApp replies inside the 24-hour window)."""
    event_id: str
    template: Template | None = None
    """What WhatsApp sends when the system starts the conversation."""


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None = None
    reports_later: bool = False
    """True: the channel's webhook says later whether it was sent (WhatsApp, Fonnte)."""


@dataclass
class ChannelBusy(Exception):
    """Not taken now (timeout, 5xx, rate limit): retry this channel after a back-off."""

    reason: str
    retry_after_s: float | None = None

    def __str__(self) -> str:
        return self.reason


@dataclass
class Undeliverable(Exception):
    """This channel cannot deliver this message (not on WhatsApp, template refused …)."""

    reason: str
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> Receipt: ...

    async def close(self) -> None: ...
