"""What `make run` reads from the environment or `.env` (environment wins).

The settings every service shares (ENVIRONMENT, KAFKA_TOPIC_PARTITIONS, HTTP_HOST, …) come
from `shared.settings.ServiceSettings`; the ports and the demo password default to what
the services themselves default to. Only what `make run` alone decides is declared here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.display.settings import DisplaySettings
from services.notifier.settings import NotifierSettings
from services.ticketing.settings import TicketingSettings
from shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[1]


def _default(settings: type[BaseSettings], name: str) -> Any:
    """A service's own default for one of its settings (one place decides it)."""
    return settings.model_fields[name].default


class RunSettings(ServiceSettings):
    """`make run`'s settings: the shared ones, plus where the embedded parts live."""

    model_config = SettingsConfigDict(env_file=REPO / ".env", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="", description="empty: embedded broker")
    database_url: str = Field(default="", description="empty: embedded PostgreSQL")
    embedded_kafka_port: int = 9092
    mpp_data_dir: Path = REPO / ".data"
    ticketing_port: int = _default(TicketingSettings, "ticketing_port")
    notifier_port: int = _default(NotifierSettings, "notifier_port")
    display_port: int = _default(DisplaySettings, "display_port")
    mpp_demo_password: str = _default(TicketingSettings, "mpp_demo_password")
    public_base_url: str = Field(default="", description="empty: the ticketing service's URL")
    sites_dir: Path = _default(DisplaySettings, "sites_dir")

    @property
    def data_dir(self) -> Path:
        """MPP_DATA_DIR, relative to the repository when not absolute."""
        return self.mpp_data_dir if self.mpp_data_dir.is_absolute() else REPO / self.mpp_data_dir

    def port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    @property
    def local_host(self) -> str:
        return "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host

    def url(self, service: str) -> str:
        return f"http://{self.local_host}:{self.port(service)}"

    @property
    def public_url(self) -> str:
        """PUBLIC_BASE_URL: what QR codes and SMS links are built on (never a Host header)."""
        return self.public_base_url or self.url("ticketing")
