"""The report as the tables of its CSV and XLSX downloads (written by
`services/ticketing/export.py`): Indonesian titles and headers, one table per sheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.ticketing.export import Table
from services.ticketing.reports.figures import CHANNELS

Columns = Sequence[tuple[str, str]]
"""A table's columns: (header, the key of the report's item it shows)."""

ARRIVALS: Columns = (("jam", "hour"), ("tiket", "tickets"))
HEATMAP: Columns = (("hari (1=Senin)", "weekday"), ("jam", "hour"), ("tiket", "tickets"))
TREND: Columns = (
    ("tanggal", "day"),
    ("tiket", "issued"),
    ("dilayani", "served"),
    ("tunggu rata2 (s)", "wait_mean_s"),
    ("tunggu median (s)", "wait_median_s"),
    ("P90 (s)", "wait_p90_s"),
)
AGENCIES: Columns = (
    ("instansi", "agency_name"),
    ("tiket", "issued"),
    ("dilayani", "served"),
    ("sesuai standar", "within_target"),
    ("porsi", "sla_share"),
)
SERVICES: Columns = (
    ("layanan", "service_name"),
    ("instansi", "agency_id"),
    ("standar (menit)", "target_minutes"),
    ("tiket", "issued"),
    ("dilayani", "served"),
    ("tidak hadir", "no_show"),
    ("dibatalkan", "cancelled"),
    ("sesuai standar", "within_target"),
    ("porsi", "sla_share"),
    ("tunggu rata2 (s)", "wait_mean_s"),
    ("tunggu median (s)", "wait_median_s"),
    ("tunggu P90 (s)", "wait_p90_s"),
    ("layanan rata2 (s)", "service_mean_s"),
)
COUNTERS: Columns = (
    ("loket", "counter_name"),
    ("dilayani", "served"),
    ("layanan rata2 (s)", "service_mean_s"),
    ("layanan median (s)", "service_median_s"),
)

CLERKS: Columns = (
    ("petugas", "username"),
    ("loket", "counter_name"),
    ("dilayani", "served"),
    ("layanan rata2 (s)", "service_mean_s"),
    ("menganggur (s)", "idle_s"),
    ("tidak hadir", "no_show"),
    ("panggil ulang", "recalls"),
)


def _table(title: str, columns: Columns, items: Sequence[dict[str, Any]]) -> Table:
    return (title, [h for h, _ in columns], [[item[k] for _, k in columns] for item in items])


def _summary(report: dict[str, Any]) -> Table:
    totals = report["totals"]
    wait, svc, sla = report["wait_s"], report["service_s"], report["sla"]
    complaints = report["complaints"]
    ikm = report["ikm"]
    rows: list[list[Any]] = [
        ["lokasi", report["site"]["name"]],
        ["dari", report["from"]],
        ["sampai", report["to"]],
        *[[f"filter {k}", v] for k, v in report["filters"].items() if v],
        ["tiket diambil", totals["issued"]],
        *[[f"kanal {c}", report["by_channel"][c]] for c in CHANNELS],
        ["dilayani", totals["served"]],
        ["tidak hadir", totals["no_show"]],
        ["dibatalkan", totals["cancelled"]],
        ["dialihkan", totals["transferred"]],
        ["masih terbuka", totals["open"]],
        ["tunggu rata-rata (detik)", wait["mean"]],
        ["tunggu median (detik)", wait["median"]],
        ["tunggu P90 (detik)", wait["p90"]],
        ["layanan rata-rata (detik)", svc["mean"]],
        ["layanan median (detik)", svc["median"]],
        ["layanan P90 (detik)", svc["p90"]],
        ["sesuai standar waktu", sla["within_target"]],
        ["sesuai standar waktu (porsi)", sla["share"]],
        ["pengaduan/saran diterima", complaints["received"]],
        ["pengaduan selesai", complaints["resolved"]],
        ["rata-rata waktu penyelesaian (detik)", complaints["resolution_mean_s"]],
        ["IKM", ikm["ikm"]],
        ["mutu IKM", ikm["category"]],
        ["responden SKM", ikm["respondents"]],
    ]
    return ("Ringkasan", ["ukuran", "nilai"], rows)


def _ikm(ikm: dict[str, Any]) -> Table:
    return (
        "IKM",
        ["unsur", "nama", "nilai rata-rata"],
        [[e["element"], e["name"], e["mean"]] for e in ikm["elements"]]
        # no answers yet: an empty cell, not a "-" a spreadsheet reads as text ('-)
        + [["IKM", ikm["quality"] or None, ikm["ikm"]], ["responden", None, ikm["respondents"]]],
    )


def tables(report: dict[str, Any]) -> list[Table]:
    """The report as named tables (sheet name ≤ 31 characters, header, rows)."""
    return [
        _summary(report),
        _table("Kedatangan per jam", ARRIVALS, report["arrivals_by_hour"]),
        _table("Kedatangan jam x hari", HEATMAP, report["arrivals_heatmap"]),
        _table(
            "Tren tunggu harian",
            TREND,
            [{**d, "day": date.fromisoformat(d["day"])} for d in report["wait_trend"]],
        ),
        _table("Standar waktu per instansi", AGENCIES, report["sla_by_agency"]),
        _table("Per layanan", SERVICES, report["by_service"]),
        _table("Produktivitas loket", COUNTERS, report["counters"]),
        _table("Produktivitas petugas", CLERKS, report["clerks"]),
        _ikm(report["ikm"]),
    ]
