"""What the queue is asked and what it answers: the query with its checks, a row, a page, the live feed's pulse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from topup.labels import LABELS
from topup.model import Priority

PAGE_SIZE = 50
MAX_SEARCH = 64
TABS = ("open", "mine", "in_progress", "resolved")  # 待接手, 我的, 处理中, 已解决
ACTIVE_AGES = {"10m": timedelta(minutes=10), "30m": timedelta(minutes=30), "2h": timedelta(hours=2)}
RESOLVED_AGES = ("today", "7d")


class BadQuery(ValueError):
    """A query the queue cannot answer; `field` says which part (the web app words the answer)."""

    def __init__(self, field_name: str) -> None:
        super().__init__(field_name)
        self.field = field_name


@dataclass(frozen=True)
class QueueQuery:
    tab: str = "open"
    q: str = ""
    priority: str | None = None
    complaint: str | None = None
    age: str | None = None
    page: int = 1

    def checked(self) -> QueueQuery:
        """Itself, or BadQuery naming the first part that is wrong."""
        if self.tab not in TABS:
            raise BadQuery("tab")
        if len(self.q) > MAX_SEARCH:
            raise BadQuery("q")
        if self.priority is not None and self.priority not in {p.value for p in Priority}:
            raise BadQuery("priority")
        if self.complaint is not None and self.complaint not in LABELS["complaint"]:
            raise BadQuery("complaint")
        ages = RESOLVED_AGES if self.tab == "resolved" else ACTIVE_AGES
        if self.age is not None and self.age not in ages:
            raise BadQuery("age")
        if self.page < 1:
            raise BadQuery("page")
        return self


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue: enough to tell fifty tickets apart at a glance."""

    ticket_no: str
    conversation_id: str
    order_no: str | None
    priority: str
    status: str
    complaint: str
    handoff_reason: str
    amount_cents: int | None
    product_name: str | None
    phone_tail: str | None
    assigned_agent: str | None
    summary: str
    customer_words: str
    awaiting_reply: bool  # the customer wrote last and no agent has answered since
    rating: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class TicketMark:
    """What tells the console that the ticket it shows has changed."""

    ticket_no: str
    status: str
    updated_at: datetime
    assigned_agent: str | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    tab: str
    page: int
    pages: int
    per_page: int
    total: int
    counts: dict[str, int]
    current: TicketMark | None = None

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


@dataclass(frozen=True)
class NewestOpen:
    ticket_no: str
    priority: str
    created_at: datetime


@dataclass(frozen=True)
class QueuePulse:
    """The whole queue in a few numbers, for the live feed: `version` changes whenever a row would."""

    version: str
    fingerprint: tuple
    open_count: int
    in_progress: int
    resolved: int
    held: dict[str, int] = field(default_factory=dict)  # in-progress tickets per agent
    newest_open: NewestOpen | None = None

    def counts_for(self, agent: str) -> dict[str, int]:
        return {"open": self.open_count, "mine": self.held.get(agent, 0), "in_progress": self.in_progress,
                "resolved": self.resolved}
