"""Notifier settings: channels, SMS provider, retry policy and links (CONTRACT.md, Notifier
and "Messaging channels")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from services.notifier.channels import CHANNEL_NAMES
from services.notifier.channels.fonnte import DEFAULT_API_URL as FONNTE_API_URL
from services.notifier.channels.whatsapp import DEFAULT_API_URL as WHATSAPP_API_URL
from shared.links import DEFAULT_PUBLIC_BASE_URL, PublicBaseUrl
from shared.settings import DEFAULT_SECRET, ServiceSettings
from shared.sites import SITES_DIR


class NotifierSettings(ServiceSettings):
    notifier_port: int = Field(default=8002, description="HTTP port (/health, /api/…)")
    sms_provider: Literal["log", "webhook"] = Field(
        default="log", description="log writes each SMS to the log; webhook POSTs it"
    )
    sms_webhook_url: str = Field(default="", description="Required when SMS_PROVIDER=webhook")
    sms_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one webhook POST")
    sms_max_attempts: int = Field(default=8, ge=1, description="Attempts before a message fails")
    sms_concurrency: int = Field(default=8, ge=1, description="Messages sent at the same time")
    sms_backoff_base_s: float = Field(default=1.0, gt=0, description="First retry delay")
    sms_backoff_max_s: float = Field(default=60.0, gt=0, description="Longest retry delay")
    sms_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="A message left 'sending' longer than this (process died) is sent again",
    )
    sms_poll_s: float = Field(
        default=2.0, gt=0, description="Poll interval when no NOTIFY arrives (fallback)"
    )
    message_channels: str = Field(
        default="sms",
        description="Channels in order of preference, comma-separated, from whatsapp, fonnte "
        "and sms (a site file's messages.channels overrides it for that site)",
    )
    channel_max_attempts: int = Field(
        default=3,
        ge=1,
        description="Attempts on a channel that has a later one before the later one takes over "
        "(the last channel keeps SMS_MAX_ATTEMPTS)",
    )
    whatsapp_api_url: str = Field(
        default=WHATSAPP_API_URL, description="Meta's Graph API base, with its version"
    )
    whatsapp_phone_number_id: str = Field(default="", description="The WhatsApp number's id")
    whatsapp_token: str = Field(default="", description="System user access token (Bearer)")
    whatsapp_app_secret: str = Field(
        default="", description="The Meta app's secret: checks X-Hub-Signature-256 of webhooks"
    )
    whatsapp_verify_token: str = Field(
        default="", description="Answers Meta's GET /webhooks/whatsapp handshake"
    )
    whatsapp_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one API call")
    whatsapp_status_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="A message with no `sent` status this long after the API took it goes by "
        "the next channel",
    )
    fonnte_api_url: str = Field(default=FONNTE_API_URL, description="Fonnte's API base")
    fonnte_token: str = Field(default="", description="The Fonnte device token")
    fonnte_webhook_secret: str = Field(
        default="",
        description="Fonnte signs nothing: its webhook URLs carry ?secret=<this>",
    )
    public_base_url: PublicBaseUrl = Field(
        default=DEFAULT_PUBLIC_BASE_URL,
        description="Ticketing's public URL, for tracking and survey links in SMS",
    )
    ticketing_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Ticketing's URL inside the deployment: staff tokens are checked by asking "
        "its GET /api/auth/me",
    )
    sites_dir: Path = Field(
        default=SITES_DIR,
        description="Site TOML files: time zones and message caps (messages.issued_per_phone_"
        "per_day)",
    )
    notifier_replicas: int = Field(
        default=1,
        ge=1,
        description="How many notifiers share the topics: each is assigned the partitions p "
        "with p % NOTIFIER_REPLICAS == NOTIFIER_REPLICA (no consumer group; at most "
        "KAFKA_TOPIC_PARTITIONS)",
    )
    notifier_replica: int = Field(
        default=0, ge=0, description="This notifier's number, 0 to NOTIFIER_REPLICAS - 1"
    )
    token_secret: str = Field(
        default=DEFAULT_SECRET,
        description="Shared with ticketing: signs the survey link in the survey SMS",
    )

    def secrets_to_check(self) -> dict[str, str]:
        return {"token_secret": self.token_secret}

    kafka_fetch_max_wait_ms: int = Field(
        default=50,
        ge=1,
        le=5000,
        description="Longest a fetch waits for data: brokers that hold a fetch this long (the "
        "embedded one does) add up to this much to every SMS; real Kafka answers at once. "
        "50, not the display's 10: an SMS is not hurried by 40 ms, and on the embedded "
        "broker every fetch that returns records costs time that grows with the log",
    )

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> NotifierSettings:
        if self.sms_provider == "webhook" and not self.sms_webhook_url:
            raise ValueError("SMS_WEBHOOK_URL must be set when SMS_PROVIDER=webhook")
        return self

    @model_validator(mode="after")
    def _replica_in_range(self) -> NotifierSettings:
        if self.notifier_replicas > self.kafka_topic_partitions:
            raise ValueError("NOTIFIER_REPLICAS must not exceed KAFKA_TOPIC_PARTITIONS")
        if self.notifier_replica >= self.notifier_replicas:
            raise ValueError("NOTIFIER_REPLICA must be 0 to NOTIFIER_REPLICAS - 1")
        return self

    def assigned_partitions(self) -> list[int]:
        """The partitions this notifier reads, of every topic it reads."""
        return [
            p
            for p in range(self.kafka_topic_partitions)
            if p % self.notifier_replicas == self.notifier_replica
        ]

    @property
    def channels(self) -> tuple[str, ...]:
        """MESSAGE_CHANNELS as a tuple, in order."""
        return tuple(c.strip() for c in self.message_channels.split(",") if c.strip())

    @model_validator(mode="after")
    def _channels_configured(self) -> NotifierSettings:
        unknown = [c for c in self.channels if c not in CHANNEL_NAMES]
        if unknown or not self.channels:
            raise ValueError(f"MESSAGE_CHANNELS: unknown or none {unknown}; use {CHANNEL_NAMES}")
        needed = {
            "whatsapp": {
                "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
                "WHATSAPP_TOKEN": self.whatsapp_token,
                "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
                "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            },
            "fonnte": {
                "FONNTE_TOKEN": self.fonnte_token,
                "FONNTE_WEBHOOK_SECRET": self.fonnte_webhook_secret,
            },
        }
        for channel in self.channels:
            missing = [name for name, value in needed.get(channel, {}).items() if not value]
            if missing:
                raise ValueError(f"MESSAGE_CHANNELS has {channel}: set {', '.join(missing)}")
        return self
