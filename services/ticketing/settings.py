"""Ticketing settings (CONTRACT.md: settings come from the environment or `.env`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import DEFAULT_SECRET, ServiceSettings
from shared.sites import SITES_DIR


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
    database_pool_size: int = Field(default=10, ge=2)

    def secrets_to_check(self) -> dict[str, str]:
        return {"token_secret": self.token_secret, "mpp_demo_password": self.mpp_demo_password}
