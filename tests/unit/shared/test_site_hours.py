"""When a site is open as a whole (shared/site_hours.py), in the site's own zone, under a
fixed clock: the boards' "Tutup — buka pukul 08.00" and a mobile MPP's place of the day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from shared.site_hours import ranges_on, site_opening
from shared.sites import load_sites

SITES = load_sites()
TABANAN = SITES["tabanan"].config  # Asia/Makassar (WITA, UTC+8)
LAHAT = SITES["lahat"].config  # Asia/Jakarta (WIB, UTC+7), mobile


def local(offset: int, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment given as the site's wall-clock time (UTC+offset)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=offset)


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        (local(8, 2026, 12, 2, 6, 30), "2026-12-02 08:00"),  # Wednesday early
        (local(8, 2026, 12, 1, 23, 30), "2026-12-02 08:00"),  # Tuesday 23.30
        (local(8, 2026, 12, 2, 0, 30), "2026-12-02 08:00"),  # Wednesday 00.30
        (local(8, 2026, 12, 2, 15, 30), "2026-12-03 08:00"),  # after hours
        (local(8, 2026, 12, 5, 14, 0), "2026-12-07 08:00"),  # Saturday after Samsat's hours
        (local(8, 2026, 12, 24, 23, 30), "2026-12-26 08:00"),  # Christmas closed (Samsat: Sat)
    ],
)
def test_a_closed_site_knows_when_it_opens_in_its_own_zone(moment: datetime, opens: str) -> None:
    state = site_opening(TABANAN, moment)
    assert not state.open
    assert state.next_open is not None
    assert state.next_open.strftime("%Y-%m-%d %H:%M") == opens
    assert state.next_open.utcoffset() == timedelta(hours=8)


def test_an_open_site_says_when_it_closes() -> None:
    # 12.30: the lunch break of most services, not of those whose own hours run through it
    state = site_opening(TABANAN, local(8, 2026, 12, 2, 12, 30))
    assert state.open and state.closes_at is not None
    assert state.closes_at.strftime("%H:%M") == "15:00"
    assert ranges_on(TABANAN, datetime(2026, 12, 25).date()) == []


def test_a_mobile_mpp_stands_where_its_schedule_says() -> None:
    wednesday = site_opening(LAHAT, local(7, 2026, 12, 2, 10, 0))
    assert wednesday.open and wednesday.stop is not None
    assert wednesday.stop.place == "Kantor Camat Kikim Timur, Bunga Mas"
    saturday = site_opening(LAHAT, local(7, 2026, 12, 5, 7, 0))  # a dated stop: Hari Jadi
    assert not saturday.open and saturday.stop is not None
    assert saturday.stop.place.startswith("Alun-alun Lahat")
    assert saturday.next_open is not None and saturday.next_open.hour == 8
    sunday = site_opening(LAHAT, local(7, 2026, 12, 6, 23, 30))
    assert not sunday.open and sunday.stop is None
    assert sunday.next_stop is not None and sunday.next_stop.place.startswith("Kantor Camat Merapi")
    assert sunday.next_open == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_the_demo_site_is_always_open() -> None:
    balangan = SITES["balangan"].config
    for hour in (0, 3, 23):
        assert site_opening(balangan, datetime(2026, 12, 2, hour, 30, tzinfo=UTC)).open
    assert ranges_on(balangan, datetime(2026, 12, 25).date())[0][0] == time(0, 0)
