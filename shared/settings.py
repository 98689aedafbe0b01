"""Settings every service shares. Each service subclasses `ServiceSettings` with its own.

Values come from environment variables (a `.env` file may supply them), as CONTRACT.md says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only-token-secret"  # noqa: S105
"""The development default: refused outside development; ≥ 32 bytes, so PyJWT signs HS256
with it without an InsecureKeyLengthWarning."""


@dataclass(frozen=True)
class SecretRule:
    """How strong a secret setting must be outside development."""

    min_bytes: int = 1
    min_distinct: int = 1
    min_chars: int = 1

    def problem(self, value: str) -> str | None:
        """Why `value` is too weak, or None. Says nothing about the value itself: the
        message goes to logs."""
        if not value:
            return "is not set"
        if value == DEFAULT_SECRET:
            return "is still the default value"
        if len(value) < self.min_chars:
            return f"must be at least {self.min_chars} characters"
        if len(value.encode("utf-8", "surrogatepass")) < self.min_bytes:
            return f"must be at least {self.min_bytes} bytes (UTF-8)"
        if len(set(value)) < self.min_distinct:
            return f"must have at least {self.min_distinct} different characters"
        return None


SECRET_RULES: dict[str, SecretRule] = {
    # signs staff, service and survey-link tokens: an HS256 key guessable offline if weak
    "token_secret": SecretRule(min_bytes=32, min_distinct=16),
    # every demo counter account's password (CONTRACT.md, Demo site)
    "mpp_demo_password": SecretRule(min_chars=12),
}
"""The one place secret strength is decided; a service names the secrets it holds in
`secrets_to_check()`."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses default or weak secrets and turns the API docs off",
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="True on real Kafka; the embedded Tansu broker rejects InitProducerId",
    )
    kafka_topic_partitions: int = Field(default=3, ge=1)
    database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/antrian")
    http_host: str = Field(
        default="127.0.0.1",
        description="Address to listen on: 0.0.0.0 when kiosks and boards are other devices",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For / "
        "X-Forwarded-Proto are believed (per-IP limits then key on the client behind them); "
        "empty: proxy headers are ignored, the peer address is the client",
    )
    api_docs: bool | None = Field(
        default=None,
        description="Serve /docs and /openapi.json; default on in development, off in production",
    )
    log_level: str = Field(default="INFO")
    access_log: Literal["errors", "all"] = Field(
        default="errors",
        description="errors: log only requests answered >= 500, 4xx other than 401/404, or "
        "slower than SLOW_REQUEST_S (shared/access_log.py); all: every request",
    )
    slow_request_s: float = Field(
        default=1.0, gt=0, description="A request whose headers take longer is logged"
    )
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

    def docs_enabled(self) -> bool:
        if self.api_docs is not None:
            return self.api_docs
        return self.environment == "development"

    def secrets_to_check(self) -> dict[str, str]:
        """The secret settings this service holds (name -> value), checked against
        SECRET_RULES outside development."""
        return {}

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> ServiceSettings:
        if self.environment == "development":
            return self
        weak = []
        for name, value in self.secrets_to_check().items():
            problem = SECRET_RULES.get(name, SecretRule()).problem(value)
            if problem:
                weak.append(f"{name.upper()} {problem}")
        if weak:
            raise ValueError(
                f"{'; '.join(weak)} when ENVIRONMENT={self.environment} (set a strong secret "
                "in the environment or .env)"
            )
        return self
