"""The `sms` channel: the SMS provider (SMS_PROVIDER) behind the channel interface. A 2xx of
the gateway is the final word: the message is sent."""

from __future__ import annotations

from services.notifier.channels import ChannelBusy, Outgoing, Receipt
from services.notifier.providers import Sms, SmsProvider


class SmsChannel:
    name = "sms"

    def __init__(self, provider: SmsProvider) -> None:
        self._provider = provider

    async def send(self, message: Outgoing) -> Receipt:
        sms = Sms(to=message.to, text=message.text, event_id=message.event_id, kind=message.kind)
        try:
            await self._provider.send(sms)
        except Exception as exc:
            raise ChannelBusy(f"{exc}" or type(exc).__name__) from exc
        return Receipt()

    async def close(self) -> None:
        await self._provider.close()
