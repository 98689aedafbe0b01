"""The operator console's desk words (operator-desk.js) under node: the figures line as
the clerk reads it ("Dilayani 12 · Rata-rata 4 mnt 10 dtk · Tidak hadir 1 · Panggil ulang
3") in both languages, break reasons by name, and a chosen call's reason tidied and held
to 3–200 characters before it is sent."""

from __future__ import annotations

from typing import Any

from tests.unit.web.node import needs_node, run_module

pytestmark = needs_node

SCRIPT = """
import { pathToFileURL } from "node:url";
globalThis.document = { documentElement: {}, querySelectorAll: () => [] };
const module = (name) => import(pathToFileURL(process.env.WEB + "/" + name).href);
const i18n = await module("common/i18n.js");
i18n.addStrings((await module("strings/operator.js")).default);
const desk = await module("operator-desk.js");
const today = { served: 12, no_shows: 1, recalls: 3, average_service_s: 250.4 };
const none = { served: 0, no_shows: 0, recalls: 0, average_service_s: null };
const out = {
  id: desk.figuresLine(today),
  idNone: desk.figuresLine(none),
  short: desk.duration(45),
  breaks: ["shalat", "gangguan sistem", "senam pagi"].map(desk.breakName),
  reasons: ["  pemohon   lansia ", "ab", "x".repeat(201), "x".repeat(200)].map(
    (r) => desk.cleanReason(r) && desk.cleanReason(r).length),
  tidy: desk.cleanReason("  pemohon \\n lansia "),
};
i18n.setLang("en");
out.en = desk.figuresLine(today);
out.enBreak = desk.breakName("shalat");
process.stdout.write(JSON.stringify(out));
"""


def run() -> dict[str, Any]:
    result: dict[str, Any] = run_module(SCRIPT, {})
    return result


def test_the_figures_line_reads_as_the_clerk_says_it() -> None:
    out = run()
    assert out["id"] == "Dilayani 12 · Rata-rata 4 mnt 10 dtk · Tidak hadir 1 · Panggil ulang 3"
    assert out["idNone"] == "Dilayani 0 · Rata-rata – · Tidak hadir 0 · Panggil ulang 0"
    assert out["short"] == "45 dtk"
    assert out["en"] == "Served 12 · Average 4 min 10 s · No-shows 1 · Recalls 3"


def test_break_reasons_by_name_and_unknown_ones_as_they_are() -> None:
    out = run()
    assert out["breaks"] == ["Shalat", "Gangguan sistem", "senam pagi"]
    assert out["enBreak"] == "Prayer break"


def test_a_chosen_calls_reason_is_tidied_and_three_to_two_hundred_characters() -> None:
    out = run()
    assert out["reasons"] == [14, None, None, 200]
    assert out["tidy"] == "pemohon lansia"
