"""The agent's queue on a busy day: tabs, search, filters, sort and pages, all computed by the database.

The console asks for one page at a time (`QueueService.page`): the rows of that page without their transcripts,
the number of tickets in each tab under the same search and filters, and the state of the ticket the agent has
open (so the case view refreshes when it changes, whatever page is shown). The live feed asks `pulse` once per poll
for all consoles: a few indexed aggregates, and a version that changes when anything in the queue does.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import datetime, timedelta, timezone

from sqlalchemy import String, and_, case, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.schema import TicketMessageRow, TicketRow
from topup.model import Priority, TicketStatus, TicketView
from topup.presentation import phone_tail
from topup.services.queue_types import (
    ACTIVE_AGES,
    PAGE_SIZE,
    TABS,
    BadQuery,
    NewestOpen,
    QueueItem,
    QueuePage,
    QueuePulse,
    QueueQuery,
    TicketMark,
)
from topup.summary import case_summary

__all__ = ["BadQuery", "QueueItem", "QueuePage", "QueuePulse", "QueueQuery", "QueueService", "TicketMark"]

OPEN, IN_PROGRESS, RESOLVED = TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value, TicketStatus.RESOLVED.value
_TAIL = re.compile(r"[0-9]{4}")  # ASCII digits only: NFKC has folded the full-width ones

# What a row needs: everything but the transcript (the heaviest column, only the case view reads it).
_COLUMNS = (TicketRow.id, TicketRow.ticket_no, TicketRow.conversation_id, TicketRow.order_no, TicketRow.verified,
            TicketRow.complaint, TicketRow.customer_description, TicketRow.handoff_reason, TicketRow.priority,
            TicketRow.priority_reasons, TicketRow.order_snapshot, TicketRow.steps, TicketRow.status,
            TicketRow.assigned_agent, TicketRow.claimed_at, TicketRow.resolved_at, TicketRow.rating,
            TicketRow.created_at, TicketRow.updated_at)


def normalise_search(text: str) -> str:
    """What an agent pastes, as the numbers are stored: full-width folded, spaces gone, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def _search(text: str) -> ColumnElement | None:
    """Ticket number or any platform's order number, partly typed; a 4-digit tail also finds the phone."""
    text = normalise_search(text)
    if not text:
        return None
    clauses = []
    for value in {text, text.replace("-", "")} - {""}:
        clauses.append(func.upper(TicketRow.ticket_no, type_=String).contains(value, autoescape=True))
        clauses.append(func.upper(TicketRow.order_no, type_=String).contains(value, autoescape=True))
    if _TAIL.fullmatch(text):
        clauses.append(TicketRow.phone_tail == text)  # indexed, written with the order snapshot
    return or_(*clauses)


def _start_of_today(now: datetime, clock: Clock) -> datetime:
    local = now.replace(tzinfo=timezone.utc).astimezone(clock.zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)


def _tab(tab: str, agent: str) -> ColumnElement:
    if tab == "open":
        return TicketRow.status == OPEN
    if tab == "mine":
        return and_(TicketRow.status == IN_PROGRESS, TicketRow.assigned_agent == agent)
    if tab == "in_progress":
        return TicketRow.status == IN_PROGRESS
    return TicketRow.status == RESOLVED


def _resolved_time() -> ColumnElement:
    return TicketRow.resolved_at  # always set on a resolved ticket (resolve, close_by_customer)


class QueueService:
    """The queue as agents page through it, and its pulse for the live feed."""

    def __init__(self, engine: Engine, clock: Clock, page_size: int = PAGE_SIZE) -> None:
        self.engine = engine
        self.clock = clock
        self.page_size = page_size

    # ---- one page -----------------------------------------------------------------------------------------------
    def page(self, query: QueueQuery, agent: str, current: str | None = None) -> QueuePage:
        """The page asked for (the last one if it asks beyond), with the counts of every tab under the same
        search and filters, and the mark of the `current` ticket."""
        query = query.checked()
        now = self.clock.now()
        common = [c for c in (_search(query.q),
                              TicketRow.priority == query.priority if query.priority else None,
                              TicketRow.complaint == query.complaint if query.complaint else None) if c is not None]
        active_age = [TicketRow.created_at <= now - ACTIVE_AGES[query.age]] if query.age in ACTIVE_AGES else []
        resolved_age = []
        if query.age == "today":
            resolved_age = [_resolved_time() >= _start_of_today(now, self.clock)]
        elif query.age == "7d":
            resolved_age = [_resolved_time() >= now - timedelta(days=7)]
        with unit_of_work(self.engine) as session:
            counts = self._counts(session, agent, common + active_age, common + resolved_age)
            total = counts[query.tab]
            pages = max(1, math.ceil(total / self.page_size))
            page = min(query.page, pages)
            conditions = [_tab(query.tab, agent), *common, *(resolved_age if query.tab == "resolved" else active_age)]
            if query.tab == "resolved":
                order = (_resolved_time().desc(), TicketRow.id.desc())
            else:  # high priority first, then the longest waiting
                order = (case((TicketRow.priority == Priority.HIGH.value, 0), else_=1), TicketRow.created_at,
                         TicketRow.id)
            # The page's ids first, sorted on narrow data (on 待接手 the status index covers it), then its rows.
            ids = session.execute(select(TicketRow.id).where(*conditions).order_by(*order)
                                  .limit(self.page_size).offset((page - 1) * self.page_size)).scalars().all()
            found = {r.id: r for r in session.execute(select(*_COLUMNS).where(TicketRow.id.in_(ids))).all()}
            rows = [found[i] for i in ids if i in found]
            waiting = _awaiting_reply(session, [r.ticket_no for r in rows if r.status != RESOLVED])
            mark = self._mark(session, current) if current else None
        items = [_item(r, r.ticket_no in waiting) for r in rows]
        return QueuePage(items, query.tab, page, pages, self.page_size, total, counts, mark)

    @staticmethod
    def _counts(session: Session, agent: str, active: list, resolved: list) -> dict[str, int]:
        counts = {tab: 0 for tab in TABS}
        groups = session.execute(
            select(TicketRow.status, TicketRow.assigned_agent, func.count())
            .where(TicketRow.status.in_([OPEN, IN_PROGRESS]), *active)
            .group_by(TicketRow.status, TicketRow.assigned_agent)
        ).all()
        for status, holder, count in groups:
            counts[status] += count
            if status == IN_PROGRESS and holder == agent:
                counts["mine"] += count
        counts["resolved"] = int(session.execute(
            select(func.count()).select_from(TicketRow).where(TicketRow.status == RESOLVED, *resolved)
        ).scalar_one())
        return counts

    @staticmethod
    def _mark(session: Session, ticket_no: str) -> TicketMark | None:
        row = session.execute(
            select(TicketRow.ticket_no, TicketRow.status, TicketRow.updated_at, TicketRow.assigned_agent)
            .where(TicketRow.ticket_no == ticket_no)
        ).first()
        return None if row is None else TicketMark(row.ticket_no, row.status, row.updated_at, row.assigned_agent)

    # ---- the pulse ----------------------------------------------------------------------------------------------
    def pulse(self, known: QueuePulse | None = None) -> QueuePulse:
        """The queue's numbers; `known` again (not re-read) when nothing changed since it was taken.

        Every change a row shows moves one of: the newest ticket id (a new ticket), the open and in-progress
        tickets per status and holder, or their newest updated_at (claim, resolve, reopen, a customer's note).
        Those are read on every poll through the status index; the resolved count and the newest open ticket
        only when they moved."""
        with unit_of_work(self.engine) as session:
            groups = session.execute(
                select(TicketRow.status, TicketRow.assigned_agent, func.count(), func.max(TicketRow.updated_at))
                .where(TicketRow.status.in_([OPEN, IN_PROGRESS]))
                .group_by(TicketRow.status, TicketRow.assigned_agent)
            ).all()
            newest_id = session.execute(select(func.max(TicketRow.id))).scalar() or 0
            fingerprint = (newest_id, tuple(sorted((s, h or "", int(n), str(u)) for s, h, n, u in groups)))
            if known is not None and known.fingerprint == fingerprint:
                return known
            resolved = int(session.execute(
                select(func.count()).select_from(TicketRow).where(TicketRow.status == RESOLVED)).scalar_one())
            newest = session.execute(
                select(TicketRow.ticket_no, TicketRow.priority, TicketRow.created_at)
                .where(TicketRow.status == OPEN).order_by(TicketRow.created_at.desc(), TicketRow.id.desc()).limit(1)
            ).first()
        held: dict[str, int] = {}
        open_count = in_progress = 0
        for status, holder, count, _ in groups:
            if status == OPEN:
                open_count += count
            else:
                in_progress += count
                if holder:
                    held[holder] = held.get(holder, 0) + count
        version = hashlib.blake2b(repr((fingerprint, resolved)).encode(), digest_size=6).hexdigest()
        return QueuePulse(version, fingerprint, open_count, in_progress, resolved, held,
                          NewestOpen(newest.ticket_no, newest.priority, newest.created_at) if newest else None)


def _awaiting_reply(session: Session, ticket_nos: list[str]) -> set[str]:
    """Of these tickets, those whose latest customer or agent message is the customer's."""
    if not ticket_nos:
        return set()
    latest = (select(func.max(TicketMessageRow.id))
              .where(TicketMessageRow.ticket_no.in_(ticket_nos), TicketMessageRow.role.in_(["customer", "agent"]))
              .group_by(TicketMessageRow.ticket_no))
    rows = session.execute(select(TicketMessageRow.ticket_no, TicketMessageRow.role)
                           .where(TicketMessageRow.id.in_(latest.scalar_subquery()))).all()
    return {no for no, role in rows if role == "customer"}


def _item(row: object, awaiting: bool) -> QueueItem:
    snapshot = row.order_snapshot or None
    view = TicketView(row.ticket_no, row.conversation_id, row.order_no, Priority(row.priority),
                      TicketStatus(row.status), row.created_at, {
                          "verified": row.verified, "complaint": row.complaint, "order": snapshot,
                          "steps": list(row.steps or []), "priority_reasons": list(row.priority_reasons or [])})
    try:
        summary = case_summary(view)
    except (KeyError, TypeError):  # an odd old ticket must not take the whole page down
        summary = ""
    words = " ".join((row.customer_description or "").split())
    return QueueItem(
        ticket_no=row.ticket_no, conversation_id=row.conversation_id, order_no=row.order_no, priority=row.priority,
        status=row.status, complaint=row.complaint, handoff_reason=row.handoff_reason,
        amount_cents=(snapshot or {}).get("amount_cents"), product_name=(snapshot or {}).get("product_name"),
        phone_tail=phone_tail(snapshot), assigned_agent=row.assigned_agent, summary=summary,
        customer_words=words[:80], awaiting_reply=awaiting, rating=row.rating, created_at=row.created_at,
        updated_at=row.updated_at, resolved_at=row.resolved_at)
