"""Settings every service shares. Each service subclasses `ServiceSettings` with its own.

Values come from environment variables (a `.env` file may supply them), as CONTRACT.md says.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"  # noqa: S105 — the value we refuse outside development


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses default secrets",
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="True on real Kafka; the embedded Tansu broker rejects InitProducerId",
    )
    kafka_topic_partitions: int = Field(default=3, ge=1)
    database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/antrian")
    http_host: str = Field(default="127.0.0.1")
    log_level: str = Field(default="INFO")
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="json: one JSON object per line; default json under ENVIRONMENT=production, "
        "text in development",
    )
    otel_exporter: Literal["none", "console", "otlp"] = Field(
        default="none",
        description="Where OpenTelemetry spans go: nowhere (tracing off), stdout, or OTLP/HTTP "
        "(OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318)",
    )

    def resolved_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.environment == "production" else "text"

    def secrets_to_check(self) -> dict[str, str]:
        """Secret settings that must not keep their default value in production."""
        return {}

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.environment != "development":
            weak = [
                name for name, v in self.secrets_to_check().items() if v in ("", DEFAULT_SECRET)
            ]
            if weak:
                raise ValueError(
                    f"{', '.join(weak).upper()} must be set to a real secret when "
                    f"ENVIRONMENT={self.environment}"
                )
        return self
