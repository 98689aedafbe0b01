"""The site's own day and hour in what the database selects and the downloads show, against
the real PostgreSQL, with site `uji` moved to each of WIB, WITA and WIT and one moment at
23:30 or at 00:30 local: a ticket, a complaint and the ticket's published event.

23:30 local belongs to that local day, 00:30 local to the next one, though UTC's date is
the day before for both (00:30 WIT is 15:30 UTC): the report's hour of arrival and its
complaint count, the CSV/XLSX cells, the SP4N-LAPOR! export's date, the audit log's days
and the fairness ledger's day all say the site's."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import orjson
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.integration.ticketing.conftest import Login
from tests.integration.ticketing.test_reports import insert_ticket

SITE = "uji"
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
CLOCKS = (time(23, 30), time(0, 30))
DAY = date(2026, 12, 2)
"""The local day of the 23:30 moment; the 00:30 moment is on the day after."""
NUMBER = "A-777"


def sections_of(body: bytes) -> dict[str, list[list[str]]]:
    """The report CSV's tables by title (each after its '# title' row, header included)."""
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
        if row and row[0].startswith("# "):
            current = row[0][2:]
            sections[current] = []
        elif row:
            sections[current].append(row)
    return sections


async def put_moment(database_url: str, zone_name: str, moment: datetime, day: date) -> None:
    """Move `uji` to `zone_name` and record, at `moment`: a ticket (with the site-local `day`
    issuing gives it), a complaint, an audit entry and the ticket's issue in the outbox."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """UPDATE ticketing.sites
                  SET timezone = $2, info = info || jsonb_build_object('timezone', $2::text)
                WHERE id = $1""",
            SITE,
            zone_name,
        )
        ticket = await insert_ticket(
            conn, "ktp-el", "kiosk", moment, None, None, "waiting", None, day=day
        )
        await conn.execute(
            """INSERT INTO ticketing.complaints
                   (id, site_id, number, kind, text, client_key, received_at)
               VALUES ($1, $2, 'ADU-000777', 'complaint', 'Antrean lama sekali', 'uji', $3)""",
            uuid.uuid4(),
            SITE,
            moment,
        )
        await conn.execute(
            """INSERT INTO ticketing.audit_log (at, site_id, actor, role, action, target)
               VALUES ($1, $2, 'uji-supervisor', 'supervisor', 'zone.test', 'ktp-el')""",
            moment,
            SITE,
        )
        event_id = uuid.uuid4()
        event = {
            "event_id": str(event_id),
            "event_type": "ticket-issued",
            "occurred_at": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "site_id": SITE,
            "sequence": 1,
            "ticket_id": str(ticket),
            "ticket_number": NUMBER,
            "service_id": "ktp-el",
            "service_name": "KTP-el",
            "priority": "regular",
            "channel": "kiosk",
        }
        await conn.execute(
            """INSERT INTO ticketing.outbox (site_id, site_seq, topic, event_id, payload,
                                             created_at, published_at)
               VALUES ($1, 1000001, 'ticket-issued', $2, $3, $4, $4)""",
            SITE,
            event_id,
            orjson.dumps(event).decode(),
            moment,
        )
    finally:
        await conn.close()


async def _get(
    api: httpx.AsyncClient, path: str, day: date, params: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    days = {"from": day.isoformat(), "to": day.isoformat(), **(params or {})}
    response = await api.get(f"/api/sites/{SITE}/{path}", params=days, **kw)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    ("zone_name", "clock"),
    [(z, c) for z in ZONES for c in CLOCKS],
    ids=[f"{z.split('/')[1]}-{c:%H%M}" for z in ZONES for c in CLOCKS],
)
async def test_a_moment_is_counted_shown_and_exported_on_the_sites_day(
    api: httpx.AsyncClient, login: Login, ticketing_db: str, zone_name: str, clock: time
) -> None:
    day = DAY if clock.hour == 23 else DAY + timedelta(days=1)
    moment = datetime.combine(day, clock, ZoneInfo(zone_name))
    await put_moment(ticketing_db, zone_name, moment, day)
    boss = await login("uji-supervisor")
    neighbours = (day - timedelta(days=1), day + timedelta(days=1))

    # the report: the arrival's local hour, the complaint on its local day only
    r = (await _get(api, "reports", day, headers=boss)).json()
    assert r["totals"]["issued"] == 1 and r["complaints"]["received"] == 1
    hours = {a["hour"]: a["tickets"] for a in r["arrivals_by_hour"] if a["tickets"]}
    assert hours == {clock.hour: 1}
    for other in neighbours:
        assert (await _get(api, "reports", other, headers=boss)).json()["complaints"][
            "received"
        ] == 0

    # the downloads: the local hour and the local day in their cells
    sections = sections_of((await _get(api, "reports.csv", day, headers=boss)).content)
    per_hour = {int(h): int(n) for h, n in sections["Kedatangan per jam"][1:]}
    assert per_hour[clock.hour] == 1 and sum(per_hour.values()) == 1
    assert [row[:2] for row in sections["Tren tunggu harian"][1:]] == [[day.isoformat(), "1"]]
    summary = dict(row[:2] for row in sections["Ringkasan"][1:])
    assert (summary["dari"], summary["sampai"]) == (day.isoformat(), day.isoformat())
    assert summary["pengaduan/saran diterima"] == "1"
    xlsx = (await _get(api, "reports.xlsx", day, headers=boss)).content
    book = load_workbook(io.BytesIO(xlsx), read_only=True)
    trend = list(book["Tren tunggu harian"].iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in trend] == [(datetime.combine(day, time()), 1)]
    arrivals = list(book["Kedatangan per jam"].iter_rows(min_row=2, values_only=True))
    assert [row for row in arrivals if row[1]] == [(clock.hour, 1)]

    # SP4N-LAPOR!: the complaint's local date and time, in its local day's export only
    lapor = (await _get(api, "complaints.csv", day, headers=boss)).content.decode("utf-8-sig")
    assert f"{day.isoformat()} {clock:%H:%M}" in lapor
    for other in neighbours:
        assert "ADU-000777" not in (
            await _get(api, "complaints.csv", other, headers=boss)
        ).content.decode("utf-8-sig")

    # the supervisor's audit log: its days are the site's
    audit = {"action": "zone.test"}
    assert len((await _get(api, "audit", day, headers=boss, params=audit)).json()) == 1
    for other in neighbours:
        assert (await _get(api, "audit", other, headers=boss, params=audit)).json() == []

    # the fairness ledger: the ticket is on its local day's page, not on either neighbour's
    ledger = (await api.get(f"/api/sites/{SITE}/ledger", params={"date": day.isoformat()})).json()
    assert (ledger["date"], ledger["timezone"]) == (day.isoformat(), zone_name)
    [ticket] = ledger["tickets"]
    assert ticket["number"] == NUMBER
    assert datetime.fromisoformat(ticket["issued_at"]) == moment
    for other in neighbours:
        found = await api.get(f"/api/sites/{SITE}/ledger/{NUMBER}", params={"date": str(other)})
        assert found.status_code == 404, found.text
