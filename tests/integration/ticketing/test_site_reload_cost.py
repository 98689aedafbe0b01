"""Reloading unchanged site files costs no argon2 (ticketing reloads them every 30 s).

Each reload checked that the stored hashes still match MPP_DEMO_PASSWORD with one argon2
verify per site, ~50 ms of CPU each: the largest part of an idle ticketing's CPU
(scripts/idle_cpu.py, docs/performance.md). A hash verified (or written) once is
remembered; a changed password is still noticed and hashed again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.ticketing import site_loader
from services.ticketing.site_loader import load_all_sites
from shared.database import connect
from tests.integration.ticketing.conftest import settings_for


async def test_an_unchanged_reload_verifies_no_hash_and_a_new_password_is_hashed(
    ticketing_db: str, sites_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    hasher = site_loader._hasher

    class Counting:
        def verify(self, stored: str, password: str) -> Any:
            calls.append("verify")
            return hasher.verify(stored, password)

        def hash(self, password: str) -> str:
            calls.append("hash")
            return hasher.hash(password)

    monkeypatch.setattr(site_loader, "_hasher", Counting())
    settings = settings_for(ticketing_db, "", sites_dir)
    conn = await connect(ticketing_db)
    try:
        await load_all_sites(conn, settings)  # this process's first look: may verify
        calls.clear()
        assert await load_all_sites(conn, settings) == []
        assert calls == []  # nothing changed: not one argon2 call

        changed = settings.model_copy(update={"mpp_demo_password": "sandi-baru"})
        assert sorted(await load_all_sites(conn, changed))  # every site written again
        assert "hash" in calls
        calls.clear()
        assert await load_all_sites(conn, changed) == []
        assert calls == []
    finally:
        await conn.close()
