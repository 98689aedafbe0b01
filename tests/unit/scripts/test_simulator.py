"""The day simulator: deterministic, consistent with the live queue rules, and exact on a
scenario small enough to check by hand."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, time
from pathlib import Path

import pytest

from scripts.simulator import Citizen, Day, Params, build_day, simulate, summarise
from scripts.simulator.__main__ import main
from scripts.simulator.engine import Result
from scripts.simulator.scenario import counter_plan, next_monday, open_ranges
from services.ticketing.domain import schedule
from shared.sites import SiteConfig, load_sites

MONDAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def sites() -> dict[str, SiteConfig]:
    return {k: v.config for k, v in load_sites().items()}


@pytest.fixture(scope="module")
def tabanan_day(sites: dict[str, SiteConfig]) -> Result:
    return simulate(build_day(sites["tabanan"], MONDAY, seed=3))


def test_same_seed_same_day_other_seed_other_day(sites: dict[str, SiteConfig]) -> None:
    def run(seed: int) -> dict[str, object]:
        return summarise(simulate(build_day(sites["lahat"], MONDAY, seed=seed)))

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_every_citizen_is_accounted_for(tabanan_day: Result) -> None:
    t = summarise(tabanan_day)["totals"]
    assert t["arrivals"] > 500
    assert (
        t["served"] + t["refused_quota"] + t["refused_closed"] + t["no_show"] + t["left_waiting"]
        == t["arrivals"]
    )
    assert t["refused_quota"] > 0  # a busy day asks for more than the quota


def test_no_ticket_is_called_twice(tabanan_day: Result) -> None:
    assert len(tabanan_day.calls) == len(set(tabanan_day.calls))
    assert len(tabanan_day.calls) == sum(1 for t in tabanan_day.tickets if t.called_at)


def test_first_in_first_out_within_each_class_of_a_service(tabanan_day: Result) -> None:
    by_id = {t.id: t for t in tabanan_day.tickets}
    lines: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for ticket_id in tabanan_day.calls:
        t = by_id[ticket_id]
        lines[(t.service_id, t.priority)].append(t.issued)
    assert lines
    for issued in lines.values():
        assert issued == sorted(issued)


def test_quota_is_never_exceeded(sites: dict[str, SiteConfig], tabanan_day: Result) -> None:
    for s in sites["tabanan"].services:
        mine = [t for t in tabanan_day.tickets if t.service_id == s.id]
        if s.rules.daily_quota is not None:
            assert len(mine) <= s.rules.daily_quota
        if s.rules.online_quota is not None:
            online = sum(1 for t in mine if t.citizen.channel == "online")
            assert online <= s.rules.online_quota
            assert len(mine) - online <= s.rules.daily_quota - s.rules.online_quota  # type: ignore[operator]
    assert any(r.reason == "quota" for r in tabanan_day.refusals)


def test_nothing_is_issued_outside_opening_hours(
    sites: dict[str, SiteConfig], tabanan_day: Result
) -> None:
    site = sites["tabanan"]
    services = {s.id: s for s in site.services}
    for t in tabanan_day.tickets:
        s = services[t.service_id]
        assert schedule.opening(t.issued, site.site, s.name, s.rules.hours, site.schedule).open
    # Tabanan breaks 12.00–13.00: nothing issued then
    assert not any(
        time(12) <= t.issued.time() < time(13)
        for t in tabanan_day.tickets
        if t.service_id == "ktp-el"
    )


def test_counters_call_only_their_own_services(
    sites: dict[str, SiteConfig], tabanan_day: Result
) -> None:
    serves = {c.id: set(c.services) for c in sites["tabanan"].counters}
    for t in tabanan_day.tickets:
        if t.counter_id is not None:
            assert t.service_id in serves[t.counter_id]


def test_a_counter_plan_gives_named_services_counters_of_their_own(
    sites: dict[str, SiteConfig],
) -> None:
    plan = counter_plan(sites["tabanan"], {"ktp-el": 4})
    ktp = [c for c in plan if "ktp-el" in c.services]
    assert [c.services for c in ktp] == [["ktp-el"]] * 4
    assert "tabanan-loket-01" not in {c.id for c in plan}  # it served only ktp-el
    assert next(c for c in plan if c.id == "tabanan-loket-02").services == ["kartu-keluarga"]
    with pytest.raises(ValueError, match="unknown service"):
        counter_plan(sites["tabanan"], {"nope": 1})


def test_mobile_site_on_a_day_without_a_stop_sees_nobody(sites: dict[str, SiteConfig]) -> None:
    sunday = date(2026, 11, 29)
    assert open_ranges(sites["lahat"], sites["lahat"].services[0], sunday, None) == []
    assert build_day(sites["lahat"], sunday).citizens == []
    assert next_monday(date(2026, 11, 30)) == date(2026, 12, 7)


def at(h: int, m: int) -> datetime:
    return datetime.combine(MONDAY, time(h, m), _one_counter_site().zone)


def _one_counter_site() -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "config_version": 1,
            "site": {
                "id": "kecil",
                "name": "MPP Kecil",
                "timezone": "Asia/Makassar",
                "always_open": True,
            },
            "agencies": [{"id": "disdukcapil", "name": "Disdukcapil"}],
            "services": [
                {
                    "id": "ktp-el",
                    "agency": "disdukcapil",
                    "name": "KTP-el",
                    "prefix": "A",
                    "avg_service_s": 600,
                }
            ],
            "counters": [{"id": "loket-1", "name": "Loket 1", "services": ["ktp-el"]}],
        }
    )


def test_one_counter_three_citizens_exact_waits_and_estimates() -> None:
    site = _one_counter_site()
    citizens = [
        Citizen("ktp-el", at(8, m), "regular", "kiosk", service_s=600.0, shows=True)
        for m in (0, 1, 2)
    ]
    ranges = {"ktp-el": open_ranges(site, site.services[0], MONDAY, "08:00-16:00")}
    result = simulate(Day(site, MONDAY, list(site.counters), ranges, citizens, Params()))
    a, b, c = result.tickets
    assert [t.number for t in (a, b, c)] == ["A-001", "A-002", "A-003"]
    # called at 08.00, 08.10, 08.20
    assert [t.wait_s for t in (a, b, c)] == [0, 9 * 60, 18 * 60]
    # the live estimate: nobody waits ahead of A-002 (A-001 is at the counter) → 0;
    # one ahead of A-003 → 10 min
    assert [t.estimate_s for t in (a, b, c)] == [0, 0, 600]
    # the busy-counter estimate knows A-001 has 9 (then 8) minutes to go: exact here
    assert [t.alt_estimate_s for t in (a, b, c)] == [0, 540, 1080]
    assert all(t.outcome == "served" for t in (a, b, c))
    assert result.counters[0].last_done == at(8, 30)


def test_a_no_show_costs_the_counter_its_recall_wait() -> None:
    site = _one_counter_site()
    citizens = [
        Citizen("ktp-el", at(8, 0), "regular", "kiosk", service_s=600.0, shows=False),
        Citizen("ktp-el", at(8, 0), "regular", "kiosk", service_s=600.0, shows=True),
    ]
    ranges = {"ktp-el": open_ranges(site, site.services[0], MONDAY, "08:00-16:00")}
    result = simulate(
        Day(site, MONDAY, list(site.counters), ranges, citizens, Params(no_show_cost_s=120))
    )
    gone, seen = result.tickets
    assert gone.outcome == "no_show"
    assert seen.wait_s == 120  # called once the counter gave up on the no-show


def test_priority_goes_first_but_fairly() -> None:
    site = _one_counter_site()
    citizens = [Citizen("ktp-el", at(8, 0), "regular", "kiosk", 600.0, True)]
    citizens += [Citizen("ktp-el", at(8, 1), "regular", "kiosk", 600.0, True)]
    citizens += [
        Citizen("ktp-el", at(8, 2 + i), "priority", "kiosk", 600.0, True) for i in range(4)
    ]
    ranges = {"ktp-el": open_ranges(site, site.services[0], MONDAY, "08:00-16:00")}
    result = simulate(Day(site, MONDAY, list(site.counters), ranges, citizens, Params()))
    by_id = {t.id: t for t in result.tickets}
    # priority_ratio 3: after three priority calls in a row, the waiting regular one
    assert [by_id[i].priority for i in result.calls] == [
        "regular",
        "priority",
        "priority",
        "priority",
        "regular",
        "priority",
    ]


def test_cli_prints_markdown_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "day.json"
    code = main(
        [
            "--site",
            "lahat",
            "--date",
            "2026-11-30",
            "--scale",
            "0.5",
            "--seed",
            "7",
            "--counters",
            "ktp-el=2",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "| ktp-el |" in text
    assert "Estimated wait" in text
    summary = json.loads(out.read_text())
    assert summary["site"] == "lahat"
    assert {"mae_min", "median_ae_min", "p90_ae_min", "bias_min"} <= set(summary["estimate_error"])
    assert main(["--site", "lahat", "--counters", "nope=1"]) == 2
