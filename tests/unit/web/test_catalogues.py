"""Every word the ticketing pages show goes through the translation helper
(common/i18n.js): each catalogue has the same keys in Bahasa Indonesia and English, every key
a page names (`data-i18n*` in its HTML, `t("…")` in its scripts) exists, and no script writes
words straight onto the page. The pages are native ES modules: no classic scripts of ours,
no globals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.web.node import NODE, WEB, run_module

OURS = sorted(p for p in WEB.rglob("*.js") if "vendor" not in p.parts)

SCRIPT = """
import { pathToFileURL } from "node:url";
const web = process.env.WEB;
const i18n = await import(pathToFileURL(web + "/common/i18n.js").href);
for (const name of JSON.parse(process.env.CATALOGUES)) {
  i18n.addStrings((await import(pathToFileURL(web + "/strings/" + name).href)).default);
}
const all = i18n.catalogues();
process.stdout.write(JSON.stringify({ id: Object.keys(all.id), en: Object.keys(all.en) }));
"""


@pytest.fixture(scope="module")
def keys() -> dict[str, set[str]]:
    if NODE is None:
        pytest.skip("node is not installed")
    names = sorted(p.name for p in (WEB / "strings").glob("*.js"))
    found: dict[str, list[str]] = run_module(SCRIPT, {"CATALOGUES": json.dumps(names)})
    return {lang: set(k) for lang, k in found.items()}


def test_both_languages_have_the_same_keys(keys: dict[str, set[str]]) -> None:
    assert keys["id"] - keys["en"] == set(), "missing in English"
    assert keys["en"] - keys["id"] == set(), "missing in Indonesian"


def test_every_key_a_page_names_exists(keys: dict[str, set[str]]) -> None:
    named: dict[str, set[str]] = {}
    for page in WEB.glob("*.html"):
        for key in re.findall(r'data-i18n(?:-placeholder|-label)?="([^"]+)"', page.read_text()):
            named.setdefault(key, set()).add(page.name)
    for script in OURS:
        for key in re.findall(r"""\bt\(\s*"([^"]+)"\s*[,)]""", script.read_text()):
            named.setdefault(key, set()).add(script.name)
    missing = {k: sorted(v) for k, v in named.items() if k not in keys["id"]}
    assert missing == {}


# words written straight onto the page: `text: "Tutup"`, `.textContent = "Tutup"`, …
WRITES = re.compile(
    r"""(?:\btext:\s*|\.textContent\s*=\s*|\bplaceholder:\s*|"aria-label":\s*|\btitle:\s*)"""
    r"""(?P<q>["'`])(?P<body>(?:(?!(?P=q)).)*)(?P=q)"""
)


def words_written(text: str) -> list[str]:
    """Literals written onto the page that hold a word (interpolations left out)."""
    found = []
    for m in WRITES.finditer(text):
        if re.search(r"[A-Za-z]{2}", re.sub(r"\$\{[^}]*\}", "", m["body"])):
            found.append(m[0])
    return found


@pytest.mark.parametrize("script", OURS, ids=lambda p: str(p.relative_to(WEB)))
def test_no_script_writes_words_past_the_translation_helper(script: Path) -> None:
    assert words_written(script.read_text()) == []


@pytest.mark.parametrize("script", OURS, ids=lambda p: str(p.relative_to(WEB)))
def test_scripts_are_es_modules_without_globals(script: Path) -> None:
    text = script.read_text()
    assert '"use strict"' not in text  # modules are strict already
    assert not re.search(r"^(?:const|let|var|function)\s+[A-Z]\w*\s*=\s*\(\(\)", text, re.M)
    assert not re.search(r"\b(?:window|globalThis)\.\w+\s*=[^=]", text)
    if "strings" not in script.parts:
        assert re.search(r"^(?:import|export) ", text, re.M), "not a module"


def test_pages_load_only_modules_of_ours() -> None:
    for page in WEB.glob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", page.read_text()):
            if "/static/vendor/" in tag:
                continue
            assert 'type="module"' in tag, f"{page.name}: {tag}"
