"""Service reports against a hand-built day of tickets at site `uji` (Asia/Jayapura, UTC+9):
exact counts, means, medians, P90, the service standard, arrivals per hour; CSV and XLSX
hold the same numbers; access is the site's supervisor's (or an admin's)."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.integration.ticketing.conftest import Login, issue

SITE = "uji"
DAY = date(2025, 3, 10)  # a Monday
WIT = timezone(timedelta(hours=9))
Q = {"from": "2025-03-10", "to": "2025-03-10"}


def at(hhmm: str, day: date = DAY) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=WIT)


# service, channel, issued, called, completed, status, counter
DAY_OF_TICKETS: list[tuple[str, str, str, str | None, str | None, str, str | None]] = [
    ("ktp-el", "kiosk", "08:05", "08:10", "08:20", "served", "uji-loket-01"),  # w 300 s 600 ✓
    ("ktp-el", "kiosk", "08:10", "08:30", "08:35", "served", "uji-loket-02"),  # w 1200 s 300 ✗
    ("ktp-el", "online", "09:00", "09:02", "09:06", "served", "uji-loket-01"),  # w 120 s 240 ✓
    ("ktp-el", "mobile", "09:30", "09:40", "09:45", "no_show", "uji-loket-01"),  # w 600
    ("ktp-el", "kiosk", "10:15", None, "10:20", "cancelled", None),
    ("kk", "kiosk", "10:20", "10:50", "11:00", "served", "uji-loket-02"),  # w 1800 s 600 ✗
    ("pajak", "kiosk", "08:00", "08:01", "08:04", "served", "uji-samsat"),  # w 60 s 180 ✓
    ("pajak", "online", "13:00", None, None, "waiting", None),
]


async def insert_ticket(
    conn: asyncpg.Connection,
    service: str,
    channel: str,
    issued: datetime,
    called: datetime | None,
    completed: datetime | None,
    status: str,
    counter: str | None,
    site: str = SITE,
    day: date = DAY,
) -> uuid.UUID:
    ticket_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO ticketing.tickets
               (id, site_id, service_id, number, day, priority, channel, status, outcome,
                counter_id, call_count, issued_at, queued_at, called_at, completed_at,
                first_called_at)
           VALUES ($1, $2, $3, 'X-001', $4, 'regular', $5, $6, $7, $8, $9, $10, $10, $11,
                   $12, $11)""",
        ticket_id,
        site,
        service,
        day,
        channel,
        status,
        None if status in ("waiting", "called") else status,
        counter,
        1 if called else 0,
        issued,
        called,
        completed,
    )
    return ticket_id


@pytest.fixture
async def day_of_tickets(ticketing_db: str) -> list[uuid.UUID]:
    conn = await asyncpg.connect(ticketing_db)
    try:
        ids = [
            await insert_ticket(
                conn,
                svc,
                channel,
                at(issued),
                at(called) if called else None,
                at(done) if done else None,
                status,
                counter,
            )
            for svc, channel, issued, called, done, status, counter in DAY_OF_TICKETS
        ]
        # noise: the next day at the same site, and the same day at another site
        nxt = DAY + timedelta(days=1)
        await insert_ticket(
            conn,
            "ktp-el",
            "kiosk",
            at("08:00", nxt),
            at("09:00", nxt),
            at("09:30", nxt),
            "served",
            "uji-loket-01",
            day=nxt,
        )
        await insert_ticket(
            conn,
            "ktp-el",
            "kiosk",
            at("08:00"),
            at("08:01"),
            at("08:02"),
            "served",
            "balangan-loket-01",
            site="balangan",
        )
        # a transfer of ticket 2 (from kk) at 08:25, as the outbox records it (published)
        payload = {
            "event_type": "service-completed",
            "site_id": SITE,
            "ticket_id": str(ids[1]),
            "service_id": "kk",
            "agency_id": "disdukcapil",
            "counter_id": "uji-loket-03",
            "outcome": "transferred",
            "transferred_to_service_id": "ktp-el",
        }
        await conn.execute(
            """INSERT INTO ticketing.outbox (site_id, site_seq, topic, event_id, payload,
                                             created_at, published_at)
               VALUES ($1, 1000000, 'service-completed', $2, $3, $4, $4)""",
            SITE,
            uuid.uuid4(),
            orjson.dumps(payload).decode(),
            at("08:25"),
        )
        # survey answers of the IKM worked example (tests/unit/ticketing/test_ikm.py)
        answers = [
            [4, 3, 3, 4, 3, 3, 4, 3, 3],
            [3, 3, 2, 4, 3, 4, 4, 3, 3],
            [4, 4, 3, 4, 3, 3, 3, 2, 3],
            [3, 2, 3, 4, 3, 4, 4, 3, 2],
        ]
        for ticket_index, a in zip((0, 1, 2, 5), answers, strict=True):
            svc, _, _, _, _, _, counter = DAY_OF_TICKETS[ticket_index]
            await conn.execute(
                """INSERT INTO ticketing.survey_responses
                       (ticket_id, site_id, service_id, agency_id, counter_id, day,
                        u1, u2, u3, u4, u5, u6, u7, u8, u9, signed)
                   VALUES ($1, $2, $3, 'disdukcapil', $4, $5,
                           $6, $7, $8, $9, $10, $11, $12, $13, $14, false)""",
                ids[ticket_index],
                SITE,
                svc,
                counter,
                DAY,
                *a,
            )
    finally:
        await conn.close()
    return ids


async def report(api: httpx.AsyncClient, headers: dict[str, str], **query: str) -> Any:
    response = await api.get(f"/api/sites/{SITE}/reports", params={**Q, **query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_report_of_a_hand_built_day(
    api: httpx.AsyncClient, login: Login, day_of_tickets: list[uuid.UUID]
) -> None:
    r = await report(api, await login("uji-supervisor"))
    assert r["from"] == r["to"] == "2025-03-10" and r["days"] == 1
    assert r["totals"] == {
        "issued": 8,
        "served": 5,
        "no_show": 1,
        "cancelled": 1,
        "transferred": 1,
        "open": 1,
        "priority": 0,
    }
    assert r["by_channel"] == {"kiosk": 5, "online": 2, "mobile": 1}
    # waits 60 120 300 600 1200 1800: mean 680, median (300+600)/2, P90 at 4.5 → 1200+0.5×600
    assert r["wait_s"] == {"n": 6, "mean": 680.0, "median": 450.0, "p90": 1500.0}
    # service 180 240 300 600 600: mean 384, median 300, P90 at 3.6 → 600
    assert r["service_s"] == {"n": 5, "mean": 384.0, "median": 300.0, "p90": 600.0}
    # within 15 minutes issue → completion: 15 min exactly, 6 min, 4 min (of 5 served)
    assert r["sla"] == {"served": 5, "within_target": 3, "share": 0.6}
    hours = {a["hour"]: a["tickets"] for a in r["arrivals_by_hour"]}
    assert len(hours) == 24 and sum(hours.values()) == 8
    assert {h: n for h, n in hours.items() if n} == {8: 3, 9: 2, 10: 2, 13: 1}
    assert r["arrivals_heatmap"] == [
        {"weekday": 1, "hour": 8, "tickets": 3},
        {"weekday": 1, "hour": 9, "tickets": 2},
        {"weekday": 1, "hour": 10, "tickets": 2},
        {"weekday": 1, "hour": 13, "tickets": 1},
    ]
    assert r["wait_trend"] == [
        {
            "day": "2025-03-10",
            "issued": 8,
            "served": 5,
            "wait_mean_s": 680.0,
            "wait_median_s": 450.0,
            "wait_p90_s": 1500.0,
        }
    ]
    agencies = {a["agency_id"]: a for a in r["sla_by_agency"]}
    assert (agencies["disdukcapil"]["served"], agencies["disdukcapil"]["within_target"]) == (4, 2)
    assert agencies["disdukcapil"]["sla_share"] == 0.5
    assert agencies["samsat"]["sla_share"] == 1.0 and agencies["samsat"]["issued"] == 2
    counters = {c["counter_id"]: c for c in r["counters"]}
    assert counters["uji-loket-01"] == {
        "counter_id": "uji-loket-01",
        "counter_name": "Loket 1",
        "served": 2,
        "service_mean_s": 420.0,
        "service_median_s": 420.0,
    }
    assert (counters["uji-loket-02"]["served"], counters["uji-loket-02"]["service_mean_s"]) == (
        2,
        450.0,
    )
    assert counters["uji-samsat"]["served"] == 1
    services = {s["service_id"]: s for s in r["by_service"]}
    assert (
        services["ktp-el"]["issued"] == 5 and services["ktp-el"]["wait_median_s"] == 450.0
    )  # 120 300 600 1200
    assert r["ikm"]["respondents"] == 4 and r["ikm"]["ikm"] == 80.56
    assert r["ikm"]["category"] == "B"


async def test_filters_narrow_every_figure(
    api: httpx.AsyncClient, login: Login, day_of_tickets: list[uuid.UUID]
) -> None:
    boss = await login("uji-supervisor")
    samsat = await report(api, boss, agency_id="samsat")
    assert samsat["totals"]["issued"] == 2 and samsat["totals"]["served"] == 1
    assert samsat["totals"]["transferred"] == 0
    assert samsat["wait_s"]["mean"] == 60.0 and samsat["ikm"]["respondents"] == 0
    assert [s["service_id"] for s in samsat["by_service"]] == ["pajak"]
    kk = await report(api, boss, service_id="kk")
    assert kk["totals"]["issued"] == 1 and kk["totals"]["transferred"] == 1
    desk = await report(api, boss, counter_id="uji-loket-01")
    assert desk["totals"]["served"] == 2 and desk["totals"]["no_show"] == 1
    assert desk["ikm"]["respondents"] == 2
    bad = await api.get(
        f"/api/sites/{SITE}/reports", params={**Q, "agency_id": "nope"}, headers=boss
    )
    assert bad.status_code == 422
    backwards = await api.get(
        f"/api/sites/{SITE}/reports",
        params={"from": "2025-03-10", "to": "2025-03-01"},
        headers=boss,
    )
    assert backwards.status_code == 422
    too_long = await api.get(
        f"/api/sites/{SITE}/reports",
        params={"from": "2024-01-01", "to": "2025-03-01"},
        headers=boss,
    )
    assert too_long.status_code == 422


async def test_only_the_sites_supervisor_or_an_admin(
    api: httpx.AsyncClient, login: Login, day_of_tickets: list[uuid.UUID]
) -> None:
    url = f"/api/sites/{SITE}/reports"
    assert (await api.get(url, params=Q)).status_code == 401
    assert (await api.get(url, params=Q, headers=await login("uji-loket-01"))).status_code == 403
    other = await login("balangan-supervisor")
    assert (await api.get(url, params=Q, headers=other)).status_code == 403
    assert (await api.get(f"{url}.csv", params=Q, headers=other)).status_code == 403
    svg = f"/api/sites/{SITE}/reports/charts/heatmap.svg"
    assert (await api.get(svg, params=Q, headers=other)).status_code == 403
    assert (await api.get(url, params=Q, headers=await login("balangan-admin"))).status_code == 403
    assert (await api.get(url, params=Q, headers=await login("mpp-admin"))).status_code == 200


async def test_csv_and_xlsx_hold_the_same_numbers(
    api: httpx.AsyncClient, login: Login, day_of_tickets: list[uuid.UUID]
) -> None:
    boss = await login("uji-supervisor")
    r = await report(api, boss)
    response = await api.get(f"/api/sites/{SITE}/reports.csv", params=Q, headers=boss)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for row in rows:
        if row and row[0].startswith("# "):
            current = row[0][2:]
            sections[current] = []
        elif row:
            sections[current].append(row)
    summary = {k: v for k, v in sections["Ringkasan"][1:]}
    assert summary["tiket diambil"] == "8" and summary["dilayani"] == "5"
    assert summary["dialihkan"] == "1" and summary["kanal kiosk"] == "5"
    assert float(summary["tunggu median (detik)"]) == r["wait_s"]["median"] == 450.0
    assert float(summary["tunggu P90 (detik)"]) == 1500.0
    assert float(summary["sesuai standar waktu (porsi)"]) == 0.6
    assert float(summary["IKM"]) == 80.56
    per_hour = {int(h): int(n) for h, n in sections["Kedatangan per jam"][1:]}
    assert per_hour[8] == 3 and per_hour[13] == 1

    response = await api.get(f"/api/sites/{SITE}/reports.xlsx", params=Q, headers=boss)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"  # a zip: the Office Open XML container
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "Ringkasan",
        "Kedatangan per jam",
        "Kedatangan jam x hari",
        "Tren tunggu harian",
        "Standar waktu per instansi",
        "Per layanan",
        "Produktivitas loket",
        "Produktivitas petugas",
        "IKM",
    ]
    xsummary = {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=2, values_only=True)}
    assert xsummary["tiket diambil"] == 8 and xsummary["tunggu median (detik)"] == 450.0
    assert xsummary["sesuai standar waktu (porsi)"] == 0.6 and xsummary["IKM"] == 80.56
    for key, value in summary.items():
        cell = xsummary[key]
        assert (str(cell) if cell is not None else "") == value or float(value) == cell
    trend = list(book["Tren tunggu harian"].iter_rows(min_row=2, values_only=True))
    # a real date cell (sortable, filterable), not the text "2025-03-10"
    assert trend == [(datetime(2025, 3, 10), 8, 5, 680.0, 450.0, 1500.0)]
    assert sections["Tren tunggu harian"][1][0] == "2025-03-10"  # the CSV keeps ISO text
    ikm_rows = {row[0]: row for row in book["IKM"].iter_rows(min_row=2, values_only=True)}
    assert ikm_rows["responden"][1] is None


async def test_charts_are_svg(
    api: httpx.AsyncClient, login: Login, day_of_tickets: list[uuid.UUID]
) -> None:
    boss = await login("uji-supervisor")
    for chart in ("heatmap", "wait-trend", "sla"):
        response = await api.get(
            f"/api/sites/{SITE}/reports/charts/{chart}.svg", params=Q, headers=boss
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/svg+xml"
        root = ET.fromstring(response.text)
        assert root.tag.endswith("svg")
    unknown = await api.get(f"/api/sites/{SITE}/reports/charts/pie.svg", params=Q, headers=boss)
    assert unknown.status_code == 422


async def test_report_page_is_served_with_the_strict_policy(api: httpx.AsyncClient) -> None:
    page = await api.get(f"/reports/{SITE}")
    assert page.status_code == 200 and "report.js?v=" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert (await api.get("/static/report.js")).status_code == 200


async def test_clerk_productivity_from_a_clerks_real_calls(
    api: httpx.AsyncClient, login: Login
) -> None:
    """Per clerk and counter (issue 17): served, mean service time, idle time between
    tickets, no-shows and recalls, in the JSON, the CSV and the workbook."""
    desk = await login("uji-loket-01")
    for _ in range(3):
        await issue(api, SITE, "kk")
    calls = f"/api/sites/{SITE}/counters/uji-loket-01/call-next"
    first = (await api.post(calls, headers=desk)).json()
    await api.post(f"/api/tickets/{first['id']}/complete", headers=desk)
    second = (await api.post(calls, headers=desk)).json()
    await api.post(f"/api/tickets/{second['id']}/no-show", headers=desk)
    third = (await api.post(calls, headers=desk)).json()
    assert (await api.post(f"/api/tickets/{third['id']}/recall", headers=desk)).status_code == 200
    await api.post(f"/api/tickets/{third['id']}/complete", headers=desk)

    boss = await login("uji-supervisor")
    today = (await api.get(f"/api/sites/{SITE}/reports", headers=boss)).json()
    clerk = next(c for c in today["clerks"] if c["username"] == "uji-loket-01")
    assert clerk["counter_id"] == "uji-loket-01" and clerk["counter_name"] == "Loket 1"
    assert (clerk["served"], clerk["no_show"], clerk["recalls"]) == (2, 1, 1)
    assert clerk["service_mean_s"] is not None and clerk["service_mean_s"] >= 0
    assert 0 <= clerk["idle_s"] < 60  # the calls followed each other at once
    period = {"from": today["from"], "to": today["to"]}
    book = load_workbook(
        io.BytesIO(
            (await api.get(f"/api/sites/{SITE}/reports.xlsx", params=period, headers=boss)).content
        ),
        read_only=True,
    )
    rows = list(book["Produktivitas petugas"].iter_rows(values_only=True))
    assert rows[0][0] == "petugas" and rows[1][:3] == ("uji-loket-01", "Loket 1", 2)
