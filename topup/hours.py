"""Business hours of the human agents (a window of the day in the platform's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessHours:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def is_open(self, now_utc: datetime, zone: ZoneInfo) -> bool:
        local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone).time()
        return self.start <= local < self.end

    def next_opening(self, now_utc: datetime, zone: ZoneInfo) -> datetime:
        """When agents are next on duty (naive UTC), for "a reply after 09:00"."""
        local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
        opening = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        if opening <= local:
            opening += timedelta(days=1)
        return opening.astimezone(timezone.utc).replace(tzinfo=None)
