"""The attacker's-eye tests (issue 13): each finding of a lobby-Wi-Fi attacker replayed
against the three services as processes on the real broker and PostgreSQL.

Besides the repo's sites, the services load `uji` (tests/integration/ticketing/sites): a
real, non-sandbox site that is open at every hour, so the production defaults (enrolled
kiosks, issuing limits, message caps) can be attacked at any time of day."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.sites import SITES_DIR

TEST_SITES = Path(__file__).resolve().parents[2] / "integration" / "ticketing" / "sites"


@pytest.fixture
def attack_sites(tmp_path: Path) -> Path:
    folder = tmp_path / "sites"
    folder.mkdir()
    for source in [*SITES_DIR.glob("*.toml"), TEST_SITES / "uji.toml"]:
        shutil.copy(source, folder / source.name)
    return folder


@pytest.fixture
def system_env(attack_sites: Path) -> dict[str, str]:
    return {"SITES_DIR": str(attack_sites)}
