"""Opening hours, closed days, mobile MPP schedule, quotas and fair priority, as pure rules."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ticketing.domain import calling, quota, schedule
from services.ticketing.domain.calling import Candidate, Fairness
from shared.sites import ServiceRules, SiteInfo, StopConfig, Weekday

WITA = ZoneInfo("Asia/Makassar")
HOURS = {
    "mon": ["08:00-12:00", "13:00-15:30"],
    "fri": ["08:00-11:30", "13:30-16:00"],
}
SITE = SiteInfo(
    id="tabanan",
    name="MPP Tabanan",
    timezone="Asia/Makassar",
    hours=HOURS,
    closed_dates=[date(2026, 12, 25)],
)


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=WITA)


MONDAY, FRIDAY, SUNDAY = "2026-11-23", "2026-11-27", "2026-11-29"


@pytest.mark.parametrize(
    ("moment", "is_open", "reason"),
    [
        (at(MONDAY, "07:59"), False, "buka pukul 08.00"),
        (at(MONDAY, "08:00"), True, None),
        (at(MONDAY, "12:30"), False, "istirahat, buka kembali pukul 13.00"),
        (at(MONDAY, "15:30"), False, "sudah tutup"),
        (at(FRIDAY, "12:00"), False, "buka kembali pukul 13.30"),  # Friday prayer
        (at(FRIDAY, "15:59"), True, None),
        (at(SUNDAY, "10:00"), False, "tutup pada hari Minggu"),
        (at("2026-12-25", "10:00"), False, "hari libur"),
    ],
)
def test_opening_hours_with_breaks_and_holidays(
    moment: datetime, is_open: bool, reason: str | None
) -> None:
    result = schedule.opening(moment, SITE, "KTP-el", None, [])
    assert result.open is is_open
    if reason:
        assert result.reason is not None and reason in result.reason


def test_service_hours_override_site_hours_and_supervisor_can_close() -> None:
    saturday_only: dict[Weekday, list[str]] = {"sat": ["08:00-12:00"]}
    assert not schedule.opening(at(MONDAY, "09:00"), SITE, "Paspor", saturday_only, []).open
    assert schedule.opening(at("2026-11-28", "09:00"), SITE, "Paspor", saturday_only, []).open
    closed = schedule.opening(at(MONDAY, "09:00"), SITE, "KTP-el", None, [], closed_now=True)
    assert not closed.open and "ditutup sementara" in (closed.reason or "")


def test_always_open_site_takes_tickets_at_night() -> None:
    demo = SiteInfo(id="balangan", name="Demo", timezone="Asia/Makassar", always_open=True)
    assert schedule.opening(at(SUNDAY, "03:00"), demo, "KTP-el", None, []).open


def test_mobile_mpp_opens_only_where_its_schedule_says() -> None:
    lahat = SiteInfo(id="lahat", name="MPP Keliling Lahat", timezone="Asia/Jakarta", mobile=True)
    stops = [
        StopConfig(
            date=date(2026, 11, 23), place="Kantor Camat Merapi Barat", hours=["08:00-13:00"]
        ),
        StopConfig(date=date(2026, 11, 26), place="Balai Desa Tanjung Sakti"),
    ]
    here = schedule.opening(at(MONDAY, "09:00"), lahat, "KTP-el", None, stops)
    assert here.open and here.place == "Kantor Camat Merapi Barat"
    assert not schedule.opening(at(MONDAY, "13:30"), lahat, "KTP-el", None, stops).open
    away = schedule.opening(at("2026-11-24", "09:00"), lahat, "KTP-el", None, stops)
    assert not away.open and "Balai Desa Tanjung Sakti" in (away.reason or "")


def test_shared_daily_quota() -> None:
    rules = ServiceRules(daily_quota=3)
    assert quota.quota_left(rules, {"kiosk": 1, "online": 1}, "kiosk") == 1
    assert quota.quota_refusal("KTP-el", rules, {"kiosk": 2, "online": 1}, "kiosk") == (
        "Kuota KTP-el hari ini sudah habis"
    )
    assert quota.quota_left(ServiceRules(), {"kiosk": 999}, "kiosk") is None
    # a supervisor raised today's quota
    assert quota.quota_refusal("KTP-el", rules, {"kiosk": 3}, "kiosk", quota_today=5) is None


def test_online_part_of_the_quota_is_counted_apart() -> None:
    rules = ServiceRules(daily_quota=10, online_quota=4)
    assert quota.quota_left(rules, {"kiosk": 6, "online": 0}, "kiosk") == 0
    assert quota.quota_left(rules, {"kiosk": 6, "online": 0}, "online") == 4
    refusal = quota.quota_refusal("Paspor", rules, {"kiosk": 0, "online": 4}, "online")
    assert refusal is not None and "daring" in refusal
    with pytest.raises(ValueError, match="online_quota"):
        ServiceRules(online_quota=3)


T0 = datetime(2026, 11, 23, 8, 0, tzinfo=WITA)
FAIR = Fairness(priority_ratio=3, max_regular_wait=timedelta(minutes=45))


def test_after_three_priority_calls_one_regular() -> None:
    p = Candidate("p", "ktp", "priority", T0 + timedelta(minutes=10))
    r = Candidate("r", "ktp", "regular", T0)
    now = T0 + timedelta(minutes=20)
    assert calling.choose_in_service(p, r, 0, FAIR, now) is p
    assert calling.choose_in_service(p, r, 2, FAIR, now) is p
    assert calling.choose_in_service(p, r, 3, FAIR, now) is r
    # a regular ticket that waited 45 minutes goes next whatever the streak
    assert calling.choose_in_service(p, r, 0, FAIR, T0 + timedelta(minutes=45)) is r
    assert calling.next_streak(2, p) == 3 and calling.next_streak(3, r) == 0


def test_counter_call_order_configured_or_longest_wait() -> None:
    old_kk = Candidate("kk", "kk", "regular", T0)
    new_ktp = Candidate("ktp", "ktp", "regular", T0 + timedelta(minutes=5))
    fairness = {"ktp": FAIR, "kk": FAIR}
    now = T0 + timedelta(minutes=10)
    both = [old_kk, new_ktp]
    assert calling.choose_next(both, ["ktp", "kk"], "configured", {}, fairness, now) is new_ktp
    assert calling.choose_next(both, ["ktp", "kk"], "longest_wait", {}, fairness, now) is old_kk
    assert calling.choose_next([], ["ktp"], "longest_wait", {}, fairness, now) is None


def test_returning_no_show_is_placed_near_the_front() -> None:
    line = [T0 + timedelta(minutes=m) for m in (1, 2, 3, 4)]
    late = T0 - timedelta(minutes=30)
    placed = calling.returned_queued_at(line, 2, late)
    assert line[1] < placed < line[2]
    assert calling.returned_queued_at(line, 0, late) <= line[0]
    assert calling.returned_queued_at([], 2, late) == late


# --- properties of the whole calling loop (issue: no starvation, FIFO, nothing twice) ---

arrivals = st.lists(
    st.tuples(
        st.integers(0, 600), st.sampled_from(["priority", "regular"]), st.sampled_from(["a", "b"])
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(arrivals, st.integers(1, 4), st.sampled_from(["longest_wait", "configured"]))
def test_calling_every_ticket_once_fifo_within_class_no_starvation(
    tickets: list[tuple[int, str, str]], ratio: int, call_order: str
) -> None:
    waiting = [
        Candidate(f"t{i}", service, cls, T0 + timedelta(seconds=s))  # type: ignore[arg-type]
        for i, (s, cls, service) in enumerate(tickets)
    ]
    fairness = {
        "a": Fairness(ratio, timedelta(minutes=30)),
        "b": Fairness(ratio, timedelta(minutes=30)),
    }
    streaks: dict[str, int] = {}
    called: list[Candidate] = []
    now = T0 + timedelta(minutes=11)
    while waiting:
        heads = []
        for service in ("a", "b"):
            for cls in ("priority", "regular"):
                line = sorted(
                    (c for c in waiting if c.service_id == service and c.priority == cls),
                    key=lambda c: (c.queued_at, c.ticket_id),
                )
                heads += line[:1]
        chosen = calling.choose_next(heads, ["a", "b"], call_order, streaks, fairness, now)  # type: ignore[arg-type]
        assert chosen is not None, "a ticket waits but nobody is called"
        streaks[chosen.service_id] = calling.next_streak(streaks.get(chosen.service_id, 0), chosen)
        waiting.remove(chosen)
        called.append(chosen)
        now += timedelta(seconds=30)
    assert Counter(c.ticket_id for c in called).most_common(1)[0][1] == 1
    assert len(called) == len(tickets)
    for service in ("a", "b"):
        for cls in ("priority", "regular"):
            times = [c.queued_at for c in called if c.service_id == service and c.priority == cls]
            assert times == sorted(times), "not FIFO within a class"
    # per service, never more than `ratio` priority calls in a row while a regular waits
    for service in ("a", "b"):
        streak = 0
        own = [c for c in called if c.service_id == service]
        for i, c in enumerate(own):
            regular_waiting = any(o.priority == "regular" for o in own[i + 1 :])
            streak = streak + 1 if c.priority == "priority" else 0
            if regular_waiting:
                assert streak <= ratio


def test_demo_sites_load_with_their_zones_and_a_mobile_weekly_round() -> None:
    from shared.sites import load_sites, stop_on

    sites = load_sites()
    assert {"balangan", "lahat", "tabanan"} <= set(sites)
    assert sites["balangan"].config.site.timezone == "Asia/Makassar"
    assert sites["lahat"].config.site.timezone == "Asia/Jakarta"
    assert sites["tabanan"].config.site.timezone == "Asia/Makassar"
    lahat = sites["lahat"].config
    assert lahat.site.mobile
    assert {a.id for a in lahat.agencies} >= {
        "disdukcapil",
        "dpmptsp",
        "dinkes",
        "dinsos",
        "perpustakaan",
        "bank-sumsel-babel",
    }
    wednesday = stop_on(lahat.schedule, date(2026, 11, 25))
    assert wednesday is not None and "Kikim Timur" in wednesday.place
    assert stop_on(lahat.schedule, date(2026, 11, 29)) is None  # Sunday: the bus rests
    special = stop_on(lahat.schedule, date(2026, 12, 5))  # a dated stop on a Saturday
    assert special is not None and "Alun-alun" in special.place
    open_wed = schedule.opening(
        datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")),
        lahat.site,
        "KTP-el",
        None,
        lahat.schedule,
    )
    assert open_wed.open and open_wed.place == wednesday.place
    sunday = schedule.opening(
        datetime(2026, 11, 29, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")),
        lahat.site,
        "KTP-el",
        None,
        lahat.schedule,
    )
    assert not sunday.open and "jadwal berikutnya 30-11-2026" in (sunday.reason or "")
