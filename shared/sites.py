"""Site configuration: one TOML file per MPP under `config/sites/`.

Ticketing loads these files into its database (the source of truth for the queue);
display reads them only for what a board shows before any event arrives (site name,
time zone, counter names). Pure parsing and validation, no I/O beyond reading files.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SITES_DIR = Path(__file__).resolve().parents[1] / "config" / "sites"

_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteInfo(_Config):
    id: str = Field(pattern=_ID, description="Stable id, used in URLs and as the Kafka key")
    name: str = Field(min_length=1, description="e.g. MPP Kabupaten Balangan")
    timezone: str = Field(description="IANA zone: Asia/Jakarta, Asia/Makassar, Asia/Jayapura")
    address: str = Field(default="")
    always_open: bool = Field(
        default=False, description="Takes tickets every day at every hour (the demo site)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class AgencyConfig(_Config):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)


class ServiceConfig(_Config):
    id: str = Field(pattern=_ID)
    agency: str = Field(description="Agency id")
    name: str = Field(min_length=1)
    prefix: str = Field(pattern=r"^[A-Z]{1,3}$", description="Letter(s) before the dash: A-012")
    target_minutes: int = Field(default=15, ge=1, description="Service standard: time to serve")
    avg_service_s: int = Field(
        default=300, ge=10, description="Starting estimate of one service, before history"
    )


class CounterConfig(_Config):
    id: str = Field(pattern=_ID, description="Also the username of its operator account")
    name: str = Field(min_length=1, description="As shown and spoken: Loket 3")
    services: list[str] = Field(min_length=1, description="Service ids, in calling order")


class StaffConfig(_Config):
    username: str = Field(pattern=_ID)
    role: Literal["operator", "supervisor", "admin"] = "operator"
    counters: list[str] = Field(default_factory=list, description="Counters an operator may use")


class SiteConfig(_Config):
    config_version: int = Field(ge=1)
    site: SiteInfo
    agencies: list[AgencyConfig] = Field(min_length=1)
    services: list[ServiceConfig] = Field(min_length=1)
    counters: list[CounterConfig] = Field(min_length=1)
    staff: list[StaffConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SiteConfig:
        def unique(what: str, values: list[str]) -> None:
            seen: set[str] = set()
            for v in values:
                if v in seen:
                    raise ValueError(f"duplicate {what} {v!r}")
                seen.add(v)

        unique("agency id", [a.id for a in self.agencies])
        unique("service id", [s.id for s in self.services])
        unique("service prefix", [s.prefix for s in self.services])
        unique("counter id", [c.id for c in self.counters])
        unique("username", [c.id for c in self.counters] + [s.username for s in self.staff])
        agencies = {a.id for a in self.agencies}
        services = {s.id for s in self.services}
        counters = {c.id for c in self.counters}
        for s in self.services:
            if s.agency not in agencies:
                raise ValueError(f"service {s.id!r}: unknown agency {s.agency!r}")
        for c in self.counters:
            for sid in c.services:
                if sid not in services:
                    raise ValueError(f"counter {c.id!r}: unknown service {sid!r}")
        for st in self.staff:
            for cid in st.counters:
                if cid not in counters:
                    raise ValueError(f"staff {st.username!r}: unknown counter {cid!r}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def service(self, service_id: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.id == service_id), None)


class LoadedSite(_Config):
    config: SiteConfig
    path: str
    digest: str = Field(description="sha256 of the file: a changed file is reloaded")


def load_site_file(path: Path) -> LoadedSite:
    raw = path.read_bytes()
    try:
        config = SiteConfig.model_validate(tomllib.loads(raw.decode("utf-8")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    if config.site.id != path.stem:
        raise ValueError(f"{path.name}: site.id {config.site.id!r} must match the file name")
    return LoadedSite(config=config, path=str(path), digest=hashlib.sha256(raw).hexdigest())


def load_sites(directory: Path = SITES_DIR) -> dict[str, LoadedSite]:
    """Every `<site_id>.toml` in `directory`, validated, by site id."""
    return {p.stem: load_site_file(p) for p in sorted(directory.glob("*.toml"))}
