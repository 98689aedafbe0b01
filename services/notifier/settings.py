"""Notifier settings: SMS provider, retry policy and links (CONTRACT.md, Notifier)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

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
    notifier_group_id: str = Field(default="notifier", description="Kafka consumer group")
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
