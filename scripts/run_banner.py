"""What `make run` prints at start about addresses (CONTRACT.md, Public links): where the
services listen (HTTP_HOST), what citizens' links are built on (PUBLIC_BASE_URL), the
kiosk, operator and board pages, and — when phones cannot open those links — a warning in
plain words with the exact settings that fix it."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from scripts.run_settings import RunSettings

DEMO_SITE = "balangan"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")


def is_loopback(host: str | None) -> bool:
    return host is None or host in LOOPBACK or host.startswith("127.")


def lan_address() -> str | None:
    """This machine's address on its LAN: the source address the kernel picks for a UDP
    "connection" to a public address (nothing is sent), or None without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed by the default route
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if is_loopback(address) or address == "0.0.0.0" else address


def _listening(settings: RunSettings) -> str:
    host = settings.http_host
    if host in ALL_INTERFACES:
        where = "every network interface: kiosks, boards and phones on the LAN can connect"
    elif is_loopback(host):
        where = "this machine only: no other device can connect"
    else:
        where = "this address only"
    return f"  listening on       HTTP_HOST={host}  ({where})"


def _pages(settings: RunSettings, services: Sequence[str], lan_ip: str | None) -> list[str]:
    """The pages, on this machine and (listening on every interface) from other devices."""

    def at(service: str, path: str) -> str:
        here = f"{settings.url(service)}{path}"
        if settings.http_host in ALL_INTERFACES and lan_ip:
            return f"{here}   other devices: http://{lan_ip}:{settings.port(service)}{path}"
        return here

    lines = []
    if "ticketing" in services:
        lines.append(f"  kiosk              {at('ticketing', f'/kiosk/{DEMO_SITE}')}")
        lines.append(f"  operator           {at('ticketing', '/operator')}")
    if "display" in services:
        lines.append(f"  board              {at('display', f'/boards/{DEMO_SITE}')}")
    return lines


def warning_lines(settings: RunSettings, lan_ip: str | None) -> list[str]:
    """Why phones cannot open the links, and the settings that make them open; [] if they can."""
    public_host = urlsplit(settings.public_url).hostname
    port = settings.ticketing_port
    fix_host = lan_ip or "<this machine's LAN address>"
    fix = f"HTTP_HOST=0.0.0.0 PUBLIC_BASE_URL=http://{fix_host}:{port}"
    if is_loopback(public_host):
        lines = [
            f"  WARNING: PUBLIC_BASE_URL is {settings.public_url}, an address of this machine "
            "only.",
            "  Citizens' phones CANNOT open the QR codes and SMS/WhatsApp links it makes.",
            "  For phones (and kiosks or boards on other devices) on this LAN, start with:",
            f"      {fix} make run",
        ]
        if lan_ip is None:
            lines.append(
                "  (no LAN address found: use this machine's address on the Wi-Fi phones use)"
            )
        return lines
    if is_loopback(settings.http_host):
        return [
            f"  WARNING: links use {settings.public_url}, but the services listen on "
            f"HTTP_HOST={settings.http_host} only,",
            "  so phones cannot open them unless a proxy on this machine forwards to it. "
            "Without a proxy, start with:",
            f"      HTTP_HOST=0.0.0.0 PUBLIC_BASE_URL={settings.public_url} make run",
        ]
    return []


def addresses_banner(settings: RunSettings, services: Sequence[str], lan_ip: str | None) -> str:
    """The block `make run` prints first; `lan_ip`: `lan_address()` (given, to test it)."""
    lines = [
        "Addresses:",
        _listening(settings),
        f"  citizens' links    PUBLIC_BASE_URL={settings.public_url}  "
        "(QR codes, SMS and WhatsApp links)",
        *_pages(settings, services, lan_ip),
        *warning_lines(settings, lan_ip),
    ]
    return "\n".join(lines)
