"""When `make run` rotates the embedded broker: every site's quiet hour, once a night,
under a fixed clock in WIB, WITA and WIT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scripts.rotation import BrokerRotation, due, quiet
from shared.sites import SiteConfig, load_sites

SITES = {site_id: loaded.config for site_id, loaded in load_sites().items()}


def in_zone(config: SiteConfig, zone: str) -> SiteConfig:
    return config.model_copy(update={"site": config.site.model_copy(update={"timezone": zone})})


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_the_quiet_hour_is_every_sites_closed_night() -> None:
    tabanan, lahat, balangan = SITES["tabanan"], SITES["lahat"], SITES["balangan"]
    wit = in_zone(tabanan, "Asia/Jayapura")
    everyone = [tabanan, lahat, balangan, wit]
    # 18:30 UTC: 01:30 WIB, 02:30 WITA, 03:30 WIT — every site's night, all closed
    assert quiet(everyone, utc(2, 18, 30))
    # 16:30 UTC: 23:30 WIB at lahat — still yesterday's evening there
    assert not quiet(everyone, utc(2, 16, 30))
    assert quiet([tabanan, wit], utc(2, 16, 30))  # 00:30 WITA, 01:30 WIT
    # 20:30 UTC: 05:30 WIT — the day begins in Papua
    assert not quiet(everyone, utc(2, 20, 30))
    assert quiet([lahat, tabanan], utc(2, 20, 30))  # 03:30 WIB, 04:30 WITA
    # a working morning is never quiet
    assert not quiet(everyone, utc(2, 2, 0))
    assert not quiet([], utc(2, 18, 30))


def test_a_site_open_around_the_clock_rotates_in_its_night() -> None:
    balangan = SITES["balangan"]
    assert balangan.site.always_open
    assert quiet([balangan], utc(2, 17, 0))  # 01:00 WITA
    assert not quiet([balangan], utc(2, 21, 0))  # 05:00 WITA


def test_once_a_night() -> None:
    sites = [SITES["tabanan"]]
    night = utc(2, 18, 0)
    assert due(sites, night, None)
    assert due(sites, night, night - timedelta(hours=20))
    assert not due(sites, night + timedelta(minutes=30), night)  # the same night
    assert due(sites, night + timedelta(days=1), night)


def test_the_rotation_restarts_when_due_and_not_on_its_first_night() -> None:
    now = [utc(2, 18, 0)]
    restarts: list[datetime] = []
    lines: list[str] = []
    rotation = BrokerRotation(
        sites=lambda: [SITES["tabanan"]],
        restart=lambda: restarts.append(now[0]),
        log=lines.append,
        clock=lambda: now[0],
    )
    assert not rotation.check()  # started tonight: its broker is new already
    for hours in range(1, 24 * 7):  # a week, hour by hour
        now[0] = utc(2, 18, 0) + timedelta(hours=hours)
        rotation.check()
    # each new day at its first quiet hour: 00:00 WITA, so the log holds today only
    local = [r.astimezone(SITES["tabanan"].zone) for r in restarts]
    assert [(t.hour, t.minute) for t in local] == [(0, 0)] * 7
    assert len({t.date() for t in local}) == 7
    assert all("rotated" in line for line in lines)
