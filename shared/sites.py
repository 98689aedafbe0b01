"""Site configuration: one TOML file per MPP under `config/sites/`.

Ticketing loads these files into its database (the source of truth for the queue);
display reads them only for what a board shows before any event arrives (site name,
time zone, counter names). Pure parsing and validation, no I/O beyond reading files.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import tomllib
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SITES_DIR = Path(__file__).resolve().parents[1] / "config" / "sites"
DEPLOYMENT_FILE = SITES_DIR.parent / "deployment.toml"

_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_range(text: str) -> tuple[time, time]:
    """'08:00-12:00' → (08:00, 12:00); '24:00' ends at midnight."""
    match = _RANGE.match(text.strip())
    if not match:
        raise ValueError(f"opening hours {text!r} must look like 08:00-12:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else time(h2, m2)
    if h2 == 24 and m2 != 0:
        raise ValueError(f"opening hours {text!r}: 24:00 is the latest end")
    if end <= start:
        raise ValueError(f"opening hours {text!r} end before they start")
    return start, end


Hours = dict[Weekday, list[str]]
"""Opening hours per weekday, several ranges for a break: {"fri": ["08:00-11:30", "13:30-16:00"]}.
A weekday that is missing is closed."""


def _check_hours(hours: Hours | None) -> Hours | None:
    if hours is None:
        return None
    for day, ranges in hours.items():
        parsed = sorted(parse_range(r) for r in ranges)
        for (_, end), (start, _) in pairwise(parsed):
            if start < end:
                raise ValueError(f"opening hours of {day} overlap")
    return hours


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OnlineRules(_Config):
    """Online booking (daring) without calo: who may book, how often."""

    verify_phone: bool = Field(
        default=True, description="Online tickets need a phone proven by a one-time SMS code"
    )
    one_active_per_phone: bool = Field(
        default=True, description="At most one active online ticket per phone per service per day"
    )
    per_phone_per_hour: int = Field(default=5, ge=1, description="Codes or bookings per phone")
    per_ip_per_hour: int = Field(default=30, ge=1, description="Online requests per client address")


class KioskRules(_Config):
    """Kiosks are enrolled devices (CONTRACT.md "Who may do what"): a kiosk ticket needs the
    Bearer token a supervisor enrolled, and each kiosk issues at most `per_minute`."""

    require_device: bool = Field(
        default=True,
        description="Kiosk and mobile tickets and check-ins need an enrolled kiosk's token",
    )
    per_minute: int | None = Field(
        default=20, ge=1, description="Tickets one enrolled kiosk issues per minute; none: no cap"
    )


class MessageRules(_Config):
    """What SMS may cost: the notifier caps `issued` messages per phone (a pumping script)."""

    issued_per_phone_per_day: int | None = Field(
        default=5,
        ge=0,
        description="`issued` messages one phone gets per site-local day; none: no cap",
    )
    channels: tuple[Literal["whatsapp", "fonnte", "sms"], ...] | None = Field(
        default=None,
        min_length=1,
        description="This site's channels in order of preference (none: MESSAGE_CHANNELS)",
    )


SP4N_LAPOR = ["SP4N-LAPOR!: www.lapor.go.id", "SMS 1708", "WhatsApp 0811-1081-1708"]
"""The national public complaints channel every public service points citizens to
(Perpres 76/2013), unless a site file names its own."""


BREAK_REASONS = ("istirahat", "shalat", "rapat", "gangguan sistem")
"""A counter's break reasons when the site file names none (CONTRACT.md, counter tools)."""


class SiteInfo(_Config):
    id: str = Field(pattern=_ID, description="Stable id, used in URLs and as the Kafka key")
    name: str = Field(min_length=1, description="e.g. MPP Kabupaten Balangan")
    timezone: str = Field(description="IANA zone: Asia/Jakarta, Asia/Makassar, Asia/Jayapura")
    address: str = Field(default="")
    always_open: bool = Field(
        default=False, description="Takes tickets every day at every hour (the demo site)"
    )
    hours: Hours = Field(default_factory=dict, description="Default opening hours of every service")
    closed_dates: list[date] = Field(
        default_factory=list, description="Public holidays and other closed days"
    )
    mobile: bool = Field(
        default=False,
        description="A mobile MPP (MPP keliling): open only on the days its schedule lists",
    )
    announce_numbers: Literal["digits", "number"] = Field(
        default="digits",
        description='How the board reads a ticket number: "digits" (A-012: "A, nol satu dua") '
        'or "number" ("A dua belas")',
    )
    online: OnlineRules = Field(default_factory=OnlineRules)
    kiosk: KioskRules = Field(default_factory=KioskRules)
    messages: MessageRules = Field(default_factory=MessageRules)
    pledge: str = Field(
        default="",
        max_length=600,
        description="The MPP's service pledge (maklumat pelayanan), shown on kiosks and tickets",
    )
    complaint_channels: list[str] = Field(
        default_factory=lambda: list(SP4N_LAPOR),
        description="Where a citizen complains beyond the MPP: SP4N-LAPOR! by default",
    )
    break_reasons: list[str] = Field(
        default_factory=lambda: list(BREAK_REASONS),
        min_length=1,
        description="Why a counter may take a break (pause), as the board shows it",
    )
    sandbox: bool = Field(
        default=False,
        description="The demo site: its online, kiosk and message relaxations hold only "
        "with ENVIRONMENT=development; elsewhere it keeps the real defaults",
    )

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: Hours) -> Hours:
        return _check_hours(value) or {}

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


class StopConfig(_Config):
    """Where a mobile MPP stands: on one date, or every week on one weekday (a date wins)."""

    date: _dt.date | None = Field(default=None, description="One day at this place")
    weekday: Weekday | None = Field(default=None, description="Every week on this day")
    place: str = Field(min_length=1, description="e.g. Kantor Camat Merapi Barat")
    hours: list[str] = Field(default_factory=lambda: ["08:00-14:00"])

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for r in value:
            parse_range(r)
        return value

    @model_validator(mode="after")
    def _when(self) -> StopConfig:
        if (self.date is None) == (self.weekday is None):
            raise ValueError(f"schedule stop {self.place!r}: give exactly one of date, weekday")
        return self


def stop_on(schedule: list[StopConfig], day: date) -> StopConfig | None:
    """Where a mobile MPP stands on `day`: a dated stop, else the weekly one, else nowhere."""
    dated = next((s for s in schedule if s.date == day), None)
    if dated is not None:
        return dated
    weekday = WEEKDAYS[day.weekday()]
    return next((s for s in schedule if s.weekday == weekday), None)


ALL_DAY = (time(0, 0), time(23, 59, 59, 999999))


def service_ranges_on(
    site: SiteInfo, service_hours: Hours | None, schedule: list[StopConfig], day: date
) -> list[tuple[time, time]]:
    """One service's opening ranges on `day` by the site file, in order: none on a closed
    date, a mobile MPP's stop hours, else the service's own weekly hours or the site's. The
    one place where the files' hours become ranges (kiosk and lobby board alike)."""
    if site.always_open:
        return [ALL_DAY]
    if day in site.closed_dates:
        return []
    if site.mobile:
        stop = stop_on(schedule, day)
        texts = stop.hours if stop is not None else []
    else:
        hours = service_hours if service_hours is not None else site.hours
        texts = hours.get(WEEKDAYS[day.weekday()], [])
    return sorted(parse_range(t) for t in texts)


class ServiceRules(_Config):
    """The service standard (standar pelayanan) of one service: hours, quota, fairness."""

    hours: Hours | None = Field(default=None, description="Overrides the site's hours")
    daily_quota: int | None = Field(default=None, ge=1, description="Tickets per day; none: no cap")
    online_quota: int | None = Field(
        default=None,
        ge=0,
        description="Part of daily_quota kept for online booking, counted apart from the "
        "kiosk; none: kiosk and online share daily_quota",
    )
    priority_ratio: int = Field(
        default=3, ge=1, description="After this many priority calls in a row, one regular"
    )
    max_regular_wait_minutes: int = Field(
        default=60, ge=1, description="A regular ticket waiting this long is called next"
    )
    max_recalls: int = Field(default=3, ge=0, description="Recalls allowed after the first call")
    no_show_grace_minutes: int = Field(
        default=30, ge=0, description="A no-show may come back within this time"
    )
    no_show_return_after: int = Field(
        default=2, ge=0, description="A returning no-show is placed after this many waiting"
    )
    appointment_slot_minutes: int = Field(
        default=30, ge=5, le=240, description="Length of one appointment slot"
    )
    appointment_slot_capacity: int = Field(
        default=0, ge=0, description="Appointments per slot; 0: this service takes none"
    )
    appointment_days_ahead: int = Field(
        default=14, ge=1, le=90, description="How far ahead a citizen may book"
    )

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: Hours | None) -> Hours | None:
        return _check_hours(value)

    @model_validator(mode="after")
    def _quota_parts(self) -> ServiceRules:
        if self.online_quota is not None:
            if self.daily_quota is None:
                raise ValueError("online_quota needs a daily_quota to be part of")
            if self.online_quota > self.daily_quota:
                raise ValueError("online_quota cannot exceed daily_quota")
        return self


class ServiceStandard(_Config):
    """What a citizen must know before queueing (standar pelayanan, PermenPANRB 15/2014):
    its requirements, its official cost and how long it takes. Shown on the kiosk and the
    ticket, so nobody can be asked for a paper or a fee that is not here (anti-pungli)."""

    requirements: list[str] = Field(
        default_factory=list, description="Persyaratan: what to bring, one item each"
    )
    cost_rupiah: int | None = Field(
        default=None,
        ge=0,
        description="Official cost; 0: Gratis (free); not given: it varies, as `cost_note` "
        "explains (or the file does not say)",
    )
    cost_note: str = Field(
        default="",
        max_length=200,
        description="The tariff's legal basis or variations (e.g. 'PP 76/2020; SIM A Rp120.000')",
    )
    completion: str = Field(
        default="",
        max_length=120,
        description="Jangka waktu penyelesaian, e.g. 'Selesai di tempat' or '3 hari kerja'",
    )


class ServiceConfig(_Config):
    id: str = Field(pattern=_ID)
    agency: str = Field(description="Agency id")
    name: str = Field(min_length=1)
    prefix: str = Field(pattern=r"^[A-Z]{1,3}$", description="Letter(s) before the dash: A-012")
    target_minutes: int = Field(default=15, ge=1, description="Service standard: time to serve")
    avg_service_s: int = Field(
        default=300, ge=10, description="Starting estimate of one service, before history"
    )
    rules: ServiceRules = Field(default_factory=ServiceRules)
    standard: ServiceStandard = Field(default_factory=ServiceStandard)


class CounterConfig(_Config):
    id: str = Field(pattern=_ID, description="Also the username of its operator account")
    name: str = Field(min_length=1, description="As shown and spoken: Loket 3")
    services: list[str] = Field(min_length=1, description="Service ids, in calling order")
    call_order: Literal["longest_wait", "configured"] = Field(
        default="longest_wait",
        description="longest_wait: the longest-waiting ticket of all its services; "
        "configured: its first service with anyone waiting, in the order listed",
    )


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
    schedule: list[StopConfig] = Field(
        default_factory=list, description="A mobile MPP's days and places"
    )

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
        if self.site.mobile and not self.schedule:
            raise ValueError("a mobile site needs a [[schedule]] of days and places")
        unique("schedule date", [s.date.isoformat() for s in self.schedule if s.date])
        unique("schedule weekday", [s.weekday for s in self.schedule if s.weekday])
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


def _hardened(config: SiteConfig) -> SiteConfig:
    """A sandbox site outside development: the real online, kiosk and message rules."""
    site = config.site.model_copy(
        update={"online": OnlineRules(), "kiosk": KioskRules(), "messages": MessageRules()}
    )
    return config.model_copy(update={"site": site})


def load_site_file(path: Path, environment: str = "development") -> LoadedSite:
    """One site file. Outside development a `sandbox` site loses its relaxations (and its
    digest says so, so a restart in another environment reloads it)."""
    raw = path.read_bytes()
    try:
        config = SiteConfig.model_validate(tomllib.loads(raw.decode("utf-8")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    if config.site.id != path.stem:
        raise ValueError(f"{path.name}: site.id {config.site.id!r} must match the file name")
    digest = hashlib.sha256(raw)
    if config.site.sandbox and environment != "development":
        config = _hardened(config)
        digest.update(b"\0hardened")
    return LoadedSite(config=config, path=str(path), digest=digest.hexdigest())


def load_sites(
    directory: Path = SITES_DIR, environment: str = "development"
) -> dict[str, LoadedSite]:
    """Every `<site_id>.toml` in `directory`, validated, by site id."""
    return {p.stem: load_site_file(p, environment) for p in sorted(directory.glob("*.toml"))}


class DeploymentAdmin(_Config):
    username: str = Field(pattern=_ID)
    site_id: str = Field(pattern=_ID, description="The account's home site")


class DeploymentConfig(_Config):
    """`config/deployment.toml`: what belongs to the whole deployment, not to one site."""

    admins: list[DeploymentAdmin] = Field(
        default_factory=list, description="Admins of every site of this deployment"
    )


def load_deployment(path: Path = DEPLOYMENT_FILE) -> DeploymentConfig:
    """The deployment file; a missing file is a deployment with no deployment-wide admins."""
    if not path.exists():
        return DeploymentConfig()
    try:
        return DeploymentConfig.model_validate(tomllib.loads(path.read_text("utf-8")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
