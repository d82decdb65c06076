"""The clock every service reads: naive UTC for the database, the platform's zone for what people see.

One per process, in the application object; tests pass a FixedClock instead of patching the time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Naive UTC, the form the database stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Clock:
    """The system time, shown in the platform's time zone."""

    def __init__(self, zone: str | ZoneInfo = "Asia/Shanghai") -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)

    def now(self) -> datetime:
        return utcnow()


class FixedClock(Clock):
    """A clock that says what the test tells it, and moves only when told."""

    def __init__(self, at: datetime, zone: str | ZoneInfo = "Asia/Shanghai") -> None:
        super().__init__(zone)
        self.at = at

    def now(self) -> datetime:
        return self.at
