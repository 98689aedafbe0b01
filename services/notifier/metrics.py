"""The notifier's own metrics: SMS sent and failed, by provider and kind (counted around
the provider, so the sender needs to know nothing of them)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter

from services.notifier.deliveries import Effect
from services.notifier.providers import Sms, SmsProvider
from shared.metrics import SMS_FAILED, SMS_SENT

SMS_SKIPPED = Counter(
    "mpp_sms_skipped",
    "SMS recorded but not sent on purpose, by kind and reason (issued_cap: the phone already "
    "got the site's daily number of `issued` SMS)",
    ["kind", "reason"],
)


MESSAGE_KINDS = ("issued", "near_turn", "called", "survey", "verification", "appointment")
"""Every `kind` of message CONTRACT.md names."""


class CountingProvider:
    """An SmsProvider that counts what the wrapped one accepted and what it refused. Every
    kind's series exist from the start at 0, so an alert on `rate(mpp_sms_failed_total)`
    sees the first failure as a change rather than a series appearing."""

    def __init__(self, provider: SmsProvider, name: str) -> None:
        self._provider = provider
        self.name = name
        for kind in MESSAGE_KINDS:
            SMS_SENT.labels(name, kind)
            SMS_FAILED.labels(name, kind)

    async def send(self, sms: Sms) -> None:
        try:
            await self._provider.send(sms)
        except Exception:
            SMS_FAILED.labels(self.name, sms.kind).inc()
            raise
        SMS_SENT.labels(self.name, sms.kind).inc()

    async def close(self) -> None:
        await self._provider.close()


CHANNEL_ATTEMPTS = Counter(
    "mpp_channel_attempts",
    "Hand-overs of a message to a channel (whatsapp, fonnte, sms) by kind and outcome: sent "
    "(final), accepted (the channel reports later), busy (retried), undeliverable (next "
    "channel)",
    ["channel", "kind", "outcome"],
)
CHANNEL_STATUSES = Counter(
    "mpp_channel_statuses",
    "Delivery statuses the channels reported (sent, delivered, read, failed) and hand-overs "
    "that timed out without `sent` (timeout)",
    ["channel", "status"],
)
CHANNEL_FALLBACKS = Counter(
    "mpp_channel_fallbacks",
    "Messages that went on by their next channel (to_channel) or failed on their last one "
    "(to_channel=none)",
    ["from_channel", "to_channel"],
)


def count_effects(effects: Iterable[Effect]) -> None:
    for effect in effects:
        CHANNEL_STATUSES.labels(effect.channel, effect.status).inc()
        if effect.fell_back_to is not None or effect.gave_up:
            CHANNEL_FALLBACKS.labels(effect.channel, effect.fell_back_to or "none").inc()
