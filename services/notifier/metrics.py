"""The notifier's own metrics: SMS sent and failed, by provider and kind (counted around
the provider, so the sender needs to know nothing of them)."""

from __future__ import annotations

from prometheus_client import Counter

from services.notifier.providers import Sms, SmsProvider
from shared.metrics import SMS_FAILED, SMS_SENT

SMS_SKIPPED = Counter(
    "mpp_sms_skipped",
    "SMS recorded but not sent on purpose, by kind and reason (issued_cap: the phone already "
    "got the site's daily number of `issued` SMS)",
    ["kind", "reason"],
)


class CountingProvider:
    """An SmsProvider that counts what the wrapped one accepted and what it refused."""

    def __init__(self, provider: SmsProvider, name: str) -> None:
        self._provider = provider
        self.name = name

    async def send(self, sms: Sms) -> None:
        try:
            await self._provider.send(sms)
        except Exception:
            SMS_FAILED.labels(self.name, sms.kind).inc()
            raise
        SMS_SENT.labels(self.name, sms.kind).inc()

    async def close(self) -> None:
        await self._provider.close()
