"""Generated MPP sites for the many-sites figure: N sites of 15 counters each.

Every generated site is always open with no quota and, like the demo site, a sandbox whose
kiosks need no enrolment, so a busy morning can be compressed into seconds at any hour.
Ids: `bench-001` …, counters `bench-001-loket-01` …, services `layanan-01` … (prefix A …).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from shared.sites import SITES_DIR

AGENCIES = 6
SERVICES = 12
COUNTERS = 15


@dataclass(frozen=True)
class GeneratedSite:
    id: str
    services: tuple[str, ...]
    counters: tuple[tuple[str, tuple[str, ...]], ...]  # (counter id, its service ids)


def site_toml(index: int) -> tuple[str, GeneratedSite]:
    site_id = f"bench-{index:03d}"
    zones = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
    lines = [
        "config_version = 1",
        "",
        "[site]",
        f'id = "{site_id}"',
        f'name = "MPP Bench {index:03d}"',
        f'timezone = "{zones[index % 3]}"',
        "always_open = true",
        # a sandbox like the demo site (bench runs in development): anonymous kiosks
        "sandbox = true",
        "kiosk = { require_device = false, per_minute = 100000 }",
        "",
    ]
    for a in range(AGENCIES):
        lines += ["[[agencies]]", f'id = "instansi-{a:02d}"', f'name = "Instansi {a:02d}"', ""]
    services = []
    for s in range(SERVICES):
        sid = f"layanan-{s:02d}"
        services.append(sid)
        lines += [
            "[[services]]",
            f'id = "{sid}"',
            f'agency = "instansi-{s % AGENCIES:02d}"',
            f'name = "Layanan {s:02d}"',
            f'prefix = "{chr(ord("A") + s)}"',
            "avg_service_s = 300",
            "",
        ]
    counters = []
    for c in range(COUNTERS):
        cid = f"{site_id}-loket-{c + 1:02d}"
        own = (services[c % SERVICES], services[(c + 5) % SERVICES])
        counters.append((cid, own))
        lines += [
            "[[counters]]",
            f'id = "{cid}"',
            f'name = "Loket {c + 1}"',
            "services = [" + ", ".join(f'"{x}"' for x in own) + "]",
            "",
        ]
    return "\n".join(lines), GeneratedSite(site_id, tuple(services), tuple(counters))


def generate(directory: Path, count: int, *, keep_demo: bool = True) -> list[GeneratedSite]:
    """Write `count` site files (and the repository's own sites) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    if keep_demo:
        for path in SITES_DIR.glob("*.toml"):
            shutil.copy(path, directory / path.name)
    out = []
    for i in range(1, count + 1):
        text, site = site_toml(i)
        (directory / f"{site.id}.toml").write_text(text)
        out.append(site)
    return out
