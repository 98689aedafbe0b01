"""Daily quotas (kuota harian): kiosk and online counted together, or online kept apart."""

from __future__ import annotations

from collections.abc import Mapping

from shared.sites import ServiceRules


def quota_left(
    rules: ServiceRules, issued: Mapping[str, int], channel: str, quota_today: int | None = None
) -> int | None:
    """Tickets this channel may still take today; None when there is no cap.

    `issued` counts today's tickets per channel (cancelled ones included: a number once
    given is used). `quota_today` is a supervisor's change of the daily quota for today.
    """
    daily = quota_today if quota_today is not None else rules.daily_quota
    if daily is None:
        return None
    online = issued.get("online", 0)
    total = sum(issued.values())
    if rules.online_quota is None:
        return max(0, daily - total)
    online_quota = min(rules.online_quota, daily)
    if channel == "online":
        return max(0, online_quota - online)
    return max(0, (daily - online_quota) - (total - online))


def quota_refusal(
    service_name: str,
    rules: ServiceRules,
    issued: Mapping[str, int],
    channel: str,
    quota_today: int | None = None,
) -> str | None:
    """Why a ticket cannot be issued on `channel` now, or None when quota remains."""
    left = quota_left(rules, issued, channel, quota_today)
    if left is None or left > 0:
        return None
    if rules.online_quota is not None and channel == "online":
        return f"Kuota daring {service_name} hari ini sudah habis; silakan ambil antrean di kiosk"
    return f"Kuota {service_name} hari ini sudah habis"
