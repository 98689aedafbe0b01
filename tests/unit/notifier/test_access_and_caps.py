"""Pure rules of issue 13 in the notifier: who reads what, what the history hides, and
the cap's site and day."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.notifier import messages
from services.notifier.api.access import is_open
from services.notifier.site_rules import SiteRules
from services.notifier.staff import StaffMember, may_read_site
from shared.links import survey_link
from shared.sites import SITES_DIR

TEST_SITES = Path(__file__).resolve().parents[2] / "integration" / "ticketing" / "sites"


def staff(role: str, site_id: str = "uji", deployment_admin: bool = False) -> StaffMember:
    return StaffMember(username="x", role=role, site_id=site_id, deployment_admin=deployment_admin)


@pytest.mark.parametrize(
    ("member", "site_id", "allowed"),
    [
        (staff("supervisor"), "uji", True),
        (staff("supervisor"), "lahat", False),
        (staff("admin"), "uji", True),  # an admin named in uji's file
        (staff("admin"), "lahat", False),
        (staff("admin", deployment_admin=True), "lahat", True),  # the deployment's admin
        (staff("supervisor", deployment_admin=True), "lahat", False),  # the flag is for admins
        (staff("operator"), "uji", False),
        (staff("service"), "uji", False),
        (staff("kiosk"), "uji", False),
    ],
)
def test_only_supervisors_and_admins_of_the_site_read_it(
    member: StaffMember, site_id: str, allowed: bool
) -> None:
    assert may_read_site(member, site_id) is allowed


@pytest.mark.parametrize(
    ("path", "open_"),
    [
        ("/health", True),
        ("/metrics", True),
        ("/openapi.json", True),
        ("/asyncapi.json", True),
        ("/docs", True),
        ("/docs/oauth2-redirect", True),
        ("/docs/static/swagger-ui.css", True),
        ("/webhooks/whatsapp", True),
        ("/api/messages", False),
        ("/api/stats", False),
        ("/docsx", False),
        ("/health/../api/messages", False),
        ("/webhooks", False),
        ("/", False),
    ],
)
def test_the_open_paths_are_exactly_the_contracts(path: str, open_: bool) -> None:
    assert is_open(path) is open_


def test_the_history_never_shows_a_code() -> None:
    sms = messages.verification_text(site_name="MPP Uji", code="583920", valid_minutes=10)
    assert "583920" in sms
    shown = messages.history_text("verification", sms)
    assert shown == "(kode verifikasi disembunyikan)"
    assert "583920" not in messages.history_text("appointment", f"Kode janji temu {sms}")
    error = f"gateway answered 400: rejected text {sms!r}"  # a gateway echoing the SMS
    assert messages.history_error("verification", error) == "gateway answered 400"
    assert messages.history_error("issued", "gateway answered 400: busy") == (
        "gateway answered 400: busy"
    )
    assert messages.history_error("verification", None) is None


def test_the_history_shows_survey_links_without_their_signature() -> None:
    link = survey_link("0b7f6a38-7e34-4c53-9f3f-0a9e1d2c3b4a", "http://mpp.test", "s" * 32)
    sig = link.split("sig=", 1)[1]
    text = messages.survey_text(site_name="MPP Uji", service_name="KTP-el", link=link)
    shown = messages.history_text("survey", text)
    assert sig not in shown
    assert shown.endswith("/survey/0b7f6a38-7e34-4c53-9f3f-0a9e1d2c3b4a?sig=(disembunyikan)")
    plain = "MPP Uji: Antrean A-001 (KTP-el). Cek: http://mpp.test/t/1"
    assert messages.history_text("issued", plain) == plain


def test_the_sandbox_has_no_cap_only_in_development() -> None:
    development = SiteRules(SITES_DIR, "development")
    production = SiteRules(SITES_DIR, "production")
    assert development.cap_of("balangan").issued_per_phone_per_day == 100000
    assert production.cap_of("balangan").issued_per_phone_per_day == 5
    for site_id in ("lahat", "tabanan"):  # real sites: the default everywhere
        assert development.cap_of(site_id).issued_per_phone_per_day == 5
    unknown = production.cap_of("no-such-site")
    assert unknown.issued_per_phone_per_day == 5 and str(unknown.zone) == "Asia/Jakarta"


@pytest.mark.parametrize(
    ("site_id", "zone"),
    [("lahat", "Asia/Jakarta"), ("tabanan", "Asia/Makassar"), ("uji", "Asia/Jayapura")],
)
@pytest.mark.parametrize(
    ("local", "day"),
    [((2026, 3, 10, 23, 30), 10), ((2026, 3, 11, 0, 30), 11)],
)
def test_the_cap_day_is_the_sites_local_day(
    site_id: str, zone: str, local: tuple[int, int, int, int, int], day: int
) -> None:
    folder = TEST_SITES if site_id == "uji" else SITES_DIR
    cap = SiteRules(folder, "production").cap_of(site_id)
    assert str(cap.zone) == zone
    moment = datetime(*local, tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))
    assert cap.day_of(moment).day == day
    assert moment.day == 10  # in UTC both are still 10 March


def test_site_files_are_read_again_after_reload_s(tmp_path: Path) -> None:
    source = (SITES_DIR / "lahat.toml").read_text()
    (tmp_path / "lahat.toml").write_text(source)
    now = [0.0]
    rules = SiteRules(tmp_path, "production", reload_s=30, clock=lambda: now[0])
    assert rules.cap_of("lahat").issued_per_phone_per_day == 5
    changed = source.replace("[site]\n", "[site]\nmessages = { issued_per_phone_per_day = 2 }\n")
    assert changed != source
    (tmp_path / "lahat.toml").write_text(changed)
    now[0] = 29.0
    assert rules.cap_of("lahat").issued_per_phone_per_day == 5
    now[0] = 31.0
    assert rules.cap_of("lahat").issued_per_phone_per_day == 2
    (tmp_path / "lahat.toml").write_text("not toml [")
    now[0] = 62.0
    assert rules.cap_of("lahat").issued_per_phone_per_day == 2  # a broken file keeps the rules
