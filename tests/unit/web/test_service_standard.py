"""The service standard's cost as the kiosk and the tracking page write it
(common/standard.js), in both languages, run under node."""

from __future__ import annotations

import json

from tests.unit.web.node import needs_node, run_module

SCRIPT = """
import { pathToFileURL } from "node:url";
const web = process.env.WEB;
globalThis.document = { documentElement: {}, querySelectorAll: () => [] };
const i18n = await import(pathToFileURL(web + "/common/i18n.js").href);
const std = await import(pathToFileURL(web + "/common/standard.js").href);
const out = {};
for (const lang of ["id", "en"]) {
  i18n.setLang(lang);
  out[lang] = JSON.parse(process.env.CASES).map((c) => std.costText(c));
}
process.stdout.write(JSON.stringify(out));
"""

CASES = [
    {"cost_rupiah": 0, "cost_note": ""},
    {"cost_rupiah": 30000, "cost_note": "PNBP (PP 76/2020)"},
    {"cost_rupiah": None, "cost_note": "Retribusi sesuai Perda"},
    {"cost_rupiah": 1250000, "cost_note": ""},
]


@needs_node
def test_cost_reads_gratis_a_tariff_or_as_regulated() -> None:
    out = run_module(SCRIPT, {"CASES": json.dumps(CASES)})
    assert out["id"] == [
        "Gratis",
        "Rp30.000 — PNBP (PP 76/2020)",
        "Sesuai ketentuan — Retribusi sesuai Perda",
        "Rp1.250.000",
    ]
    assert out["en"][0] == "Free" and out["en"][2].startswith("As regulated")
