"""axe-core accessibility checks for the browser tests.

axe-core comes from npm, bundled as `axe.min.js` in the PyPI package `axe-playwright-python`
(a locked dev dependency, so `make test` needs no npm). The script is evaluated through
Playwright (the DevTools protocol), which the pages' Content-Security-Policy does not block.

The bar: no violation of impact "serious" or "critical" on any page.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SERIOUS = ("serious", "critical")


@cache
def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


async def axe_violations(page: Any, *, context: str | None = None) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (WCAG 2.x A and AA rules)."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    result: dict[str, Any] = await page.evaluate(
        "([ctx, options]) => window.axe.run(ctx || document, options)",
        [context, options],
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [node["target"] for node in v["nodes"]][:5]
        lines.append(f"{v['impact']}: {v['id']} — {v['help']} at {json.dumps(targets)}")
    return "\n".join(lines)


async def assert_accessible(page: Any, *, context: str | None = None) -> list[dict[str, Any]]:
    """Fail on any serious or critical axe-core violation; return all violations found."""
    violations = await axe_violations(page, context=context)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe-core: {len(serious)} serious/critical on {page.url}\n" + describe(
        serious
    )
    return violations
