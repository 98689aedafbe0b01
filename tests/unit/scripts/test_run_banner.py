"""What `make run` prints first (scripts/run_banner.py): where it listens, what citizens'
links use, the pages — and, when phones cannot open the links, a plain warning with the
exact settings to use, the machine's LAN address filled in when one was found."""

from __future__ import annotations

import ipaddress
from typing import Any

from scripts import run
from scripts.run_banner import addresses_banner, lan_address
from scripts.run_settings import RunSettings

ALL = ("ticketing", "notifier", "display")


def printed(lan_ip: str | None, **values: Any) -> str:
    return addresses_banner(RunSettings(_env_file=None, **values), ALL, lan_ip)


def test_on_localhost_it_warns_that_phones_cannot_open_the_links_and_says_what_to_set() -> None:
    text = printed("192.168.1.23")
    assert "HTTP_HOST=127.0.0.1  (this machine only" in text
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8001" in text
    assert "kiosk              http://127.0.0.1:8001/kiosk/balangan" in text
    assert "operator           http://127.0.0.1:8001/operator" in text
    assert "board              http://127.0.0.1:8003/boards/balangan" in text
    assert "phones CANNOT open" in text
    assert "HTTP_HOST=0.0.0.0 PUBLIC_BASE_URL=http://192.168.1.23:8001 make run" in text
    assert "other devices: " not in text  # nothing else can reach 127.0.0.1


def test_without_a_lan_address_the_fix_names_what_to_fill_in() -> None:
    text = printed(None, http_host="0.0.0.0")
    assert "PUBLIC_BASE_URL=http://<this machine's LAN address>:8001" in text
    assert "no LAN address found" in text


def test_on_the_lan_the_pages_show_their_lan_address_and_there_is_no_warning() -> None:
    text = printed("192.168.1.23", http_host="0.0.0.0", public_base_url="http://192.168.1.23:8001")
    assert "HTTP_HOST=0.0.0.0  (every network interface" in text
    assert "PUBLIC_BASE_URL=http://192.168.1.23:8001" in text
    assert "other devices: http://192.168.1.23:8001/kiosk/balangan" in text
    assert "other devices: http://192.168.1.23:8003/boards/balangan" in text
    assert "WARNING" not in text


def test_a_lan_public_url_with_a_localhost_listener_is_warned_about_too() -> None:
    text = printed("192.168.1.23", public_base_url="http://192.168.1.23:8001")
    assert "WARNING" in text and "HTTP_HOST=127.0.0.1 only" in text
    assert "HTTP_HOST=0.0.0.0 PUBLIC_BASE_URL=http://192.168.1.23:8001 make run" in text


def test_the_ready_banner_repeats_the_warning_and_only_the_services_run() -> None:
    settings = RunSettings(_env_file=None)
    assert "phones CANNOT open" in run.banner(settings, ALL, "10.0.0.5")
    notifier_only = addresses_banner(settings, ["notifier"], None)
    assert "/kiosk/" not in notifier_only and "/boards/" not in notifier_only


def test_the_lan_address_is_this_machines_when_there_is_one() -> None:
    found = lan_address()
    assert found is None or not ipaddress.ip_address(found).is_loopback
