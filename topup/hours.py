"""Business hours of the human agents (default 09:00–22:00 Asia/Shanghai)."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def _window() -> tuple[time, time, ZoneInfo]:
    start, end = os.environ.get("TOPUP_BUSINESS_HOURS", "09:00-22:00").split("-")
    zone = ZoneInfo(os.environ.get("TOPUP_TIMEZONE", "Asia/Shanghai"))
    return time.fromisoformat(start), time.fromisoformat(end), zone


def is_open(now_utc: datetime) -> bool:
    start, end, zone = _window()
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone).time()
    return start <= local < end


def next_opening(now_utc: datetime) -> datetime:
    """When agents are next on duty (naive UTC), for "a reply after 09:00"."""
    start, _end, zone = _window()
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    opening = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if opening <= local:
        opening += timedelta(days=1)
    return opening.astimezone(timezone.utc).replace(tzinfo=None)
