"""The translation helper (common/i18n.js) under node, with a stand-in for the page and its
localStorage: a kiosk (`remember: false`) starts in Bahasa Indonesia whatever the storage
says and writes nothing there; a citizen's phone (`remember: true`) keeps the choice;
`{n}` of 1 takes the `.one` text; English falls back to Indonesian, unknown keys to
themselves; 422 field names are said as the form says them."""

from __future__ import annotations

import json
from typing import Any

from tests.unit.web.node import needs_node, run_module

pytestmark = needs_node

SCRIPT = """
import { pathToFileURL } from "node:url";
const stored = new Map(JSON.parse(process.env.STORED));
globalThis.localStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => stored.set(k, String(v)),
  removeItem: (k) => stored.delete(k),
};
const root = { lang: "" };
globalThis.document = { documentElement: root, querySelectorAll: () => [] };
const module = (name) => import(pathToFileURL(process.env.WEB + "/" + name).href);
const i18n = await module("common/i18n.js");
const { detailText } = await module("common/api.js");
i18n.addStrings((await module("strings/kiosk.js")).default);
const seen = [];
const note = (label) => seen.push([label, i18n.currentLang(), root.lang]);
i18n.startLang({ remember: process.env.REMEMBER === "1" });
note("start");
const services = [1, 3].map((n) => i18n.t("kiosk.services", { n }));
i18n.setLang("en");
note("english");
const english = [1, 3].map((n) => i18n.t("kiosk.services", { n }));
const fallback = [i18n.t("common.unknownWait"), i18n.t("no.such.key")];
const field = detailText([{ loc: ["body", "phone"], msg: "Value error, nomor harus diawali 0" }]);
i18n.setLang("id");
note("reset");
process.stdout.write(JSON.stringify({
  seen, services, english, fallback, field, stored: Object.fromEntries(stored),
}));
"""


def run(remember: bool, stored: dict[str, str]) -> dict[str, Any]:
    env = {"REMEMBER": "1" if remember else "0", "STORED": json.dumps(list(stored.items()))}
    result: dict[str, Any] = run_module(SCRIPT, env)
    return result


def test_a_kiosk_starts_in_indonesian_and_keeps_nothing() -> None:
    out = run(remember=False, stored={"antrian.lang": "en"})  # left by an older kiosk page
    assert out["seen"] == [["start", "id", "id"], ["english", "en", "en"], ["reset", "id", "id"]]
    assert out["stored"] == {"antrian.lang": "en"}  # neither read nor written


def test_a_phone_keeps_the_citizens_choice() -> None:
    assert run(remember=True, stored={"antrian.lang": "en"})["seen"][0] == ["start", "en", "en"]
    out = run(remember=True, stored={})
    assert out["seen"][0] == ["start", "id", "id"]
    assert out["stored"] == {"antrian.lang": "id"}  # English, then back: the last choice


def test_counts_fallbacks_and_field_names() -> None:
    out = run(remember=False, stored={})
    assert out["services"] == ["1 layanan", "3 layanan"]
    assert out["english"] == ["1 service", "3 services"]
    assert out["fallback"] == ["—", "no.such.key"]
    assert out["field"] == "Mobile number: nomor harus diawali 0"
