"""Ticketing settings (CONTRACT.md: settings come from the environment or `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.links import DEFAULT_PUBLIC_BASE_URL, PublicBaseUrl
from shared.settings import DEFAULT_SECRET, ServiceSettings
from shared.sites import DEPLOYMENT_FILE, SITES_DIR


class TicketingSettings(ServiceSettings):
    ticketing_port: int = Field(default=8001, description="HTTP port: kiosk + operator API")
    sites_dir: Path = Field(default=SITES_DIR, description="One <site_id>.toml per MPP")
    sites_reload_s: float = Field(
        default=30.0, ge=0, description="How often changed site files are reloaded (0: never)"
    )
    mpp_demo_password: str = Field(
        default="demo",
        description="Password of every counter's operator account and the configured staff",
    )
    token_secret: str = Field(default=DEFAULT_SECRET, description="Signs operator tokens (HS256)")
    token_ttl_s: int = Field(default=12 * 3600, ge=60, description="A token lasts one shift")
    relay_poll_s: float = Field(
        default=1.0, gt=0, description="Outbox poll interval when no NOTIFY arrives (fallback)"
    )
    relay_batch: int = Field(default=500, ge=1, description="Events published per round trip")
    relay_log_check_s: float = Field(
        default=5.0,
        gt=0,
        description="How often the idle relay checks that the broker still holds what it "
        "acknowledged (else it publishes today's events again: services/ticketing/heal.py)",
    )
    database_pool_size: int = Field(default=10, ge=2)
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Larger request bodies are refused (413)"
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser; none by default",
    )
    login_attempts_per_ip: int = Field(
        default=60, ge=1, description="Logins per client address per 15 minutes"
    )
    deployment_file: Path = Field(
        default=DEPLOYMENT_FILE,
        description="Deployment-wide admins (they administer every site); missing: none",
    )

    public_base_url: PublicBaseUrl = Field(
        default=DEFAULT_PUBLIC_BASE_URL,
        description="The address citizens' phones use: QR codes and links are built on it, "
        "never on the request's Host",
    )

    def secrets_to_check(self) -> dict[str, str]:
        # how strong each must be outside development: shared.settings.SECRET_RULES
        return {"token_secret": self.token_secret, "mpp_demo_password": self.mpp_demo_password}
