"""The report as the tables of its CSV and XLSX downloads (written by
`services/ticketing/export.py`): Indonesian titles and headers, one table per sheet."""

from __future__ import annotations

from typing import Any

from services.ticketing.export import Table
from services.ticketing.reports.figures import CHANNELS


def tables(report: dict[str, Any]) -> list[Table]:
    """The report as named tables (sheet name ≤ 31 characters, header, rows)."""
    totals = report["totals"]
    wait, svc, sla = report["wait_s"], report["service_s"], report["sla"]
    complaints = report["complaints"]
    ikm = report["ikm"]
    summary_rows: list[list[Any]] = [
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
    return [
        ("Ringkasan", ["ukuran", "nilai"], summary_rows),
        (
            "Kedatangan per jam",
            ["jam", "tiket"],
            [[a["hour"], a["tickets"]] for a in report["arrivals_by_hour"]],
        ),
        (
            "Kedatangan jam x hari",
            ["hari (1=Senin)", "jam", "tiket"],
            [[c["weekday"], c["hour"], c["tickets"]] for c in report["arrivals_heatmap"]],
        ),
        (
            "Tren tunggu harian",
            ["tanggal", "tiket", "dilayani", "tunggu rata2 (s)", "tunggu median (s)", "P90 (s)"],
            [
                [
                    d["day"],
                    d["issued"],
                    d["served"],
                    d["wait_mean_s"],
                    d["wait_median_s"],
                    d["wait_p90_s"],
                ]
                for d in report["wait_trend"]
            ],
        ),
        (
            "Standar waktu per instansi",
            ["instansi", "tiket", "dilayani", "sesuai standar", "porsi"],
            [
                [a["agency_name"], a["issued"], a["served"], a["within_target"], a["sla_share"]]
                for a in report["sla_by_agency"]
            ],
        ),
        (
            "Per layanan",
            [
                "layanan",
                "instansi",
                "standar (menit)",
                "tiket",
                "dilayani",
                "tidak hadir",
                "dibatalkan",
                "sesuai standar",
                "porsi",
                "tunggu rata2 (s)",
                "tunggu median (s)",
                "tunggu P90 (s)",
                "layanan rata2 (s)",
            ],
            [
                [
                    s["service_name"],
                    s["agency_id"],
                    s["target_minutes"],
                    s["issued"],
                    s["served"],
                    s["no_show"],
                    s["cancelled"],
                    s["within_target"],
                    s["sla_share"],
                    s["wait_mean_s"],
                    s["wait_median_s"],
                    s["wait_p90_s"],
                    s["service_mean_s"],
                ]
                for s in report["by_service"]
            ],
        ),
        (
            "Produktivitas loket",
            ["loket", "dilayani", "layanan rata2 (s)", "layanan median (s)"],
            [
                [c["counter_name"], c["served"], c["service_mean_s"], c["service_median_s"]]
                for c in report["counters"]
            ],
        ),
        (
            "IKM",
            ["unsur", "nama", "nilai rata-rata"],
            [[e["element"], e["name"], e["mean"]] for e in ikm["elements"]]
            + [["IKM", ikm["quality"] or "-", ikm["ikm"]], ["responden", "", ikm["respondents"]]],
        ),
    ]
