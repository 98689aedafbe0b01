"""The channels MESSAGE_CHANNELS names, built from the settings."""

from __future__ import annotations

from services.notifier.channels import Channel
from services.notifier.channels.fonnte import FonnteChannel
from services.notifier.channels.sms import SmsChannel
from services.notifier.channels.whatsapp import WhatsAppChannel
from services.notifier.providers import SmsProvider
from services.notifier.settings import NotifierSettings


def build_channels(settings: NotifierSettings, sms: SmsProvider) -> dict[str, Channel]:
    """Every channel of MESSAGE_CHANNELS, plus `sms` always: a site file may name it, and
    replies to SMS-only setups need nothing else."""
    channels: dict[str, Channel] = {"sms": SmsChannel(sms)}
    if "whatsapp" in settings.channels:
        channels["whatsapp"] = WhatsAppChannel(
            settings.whatsapp_api_url,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_token,
            settings.whatsapp_timeout_s,
        )
    if "fonnte" in settings.channels:
        channels["fonnte"] = FonnteChannel(
            settings.fonnte_api_url, settings.fonnte_token, settings.whatsapp_timeout_s
        )
    return channels
