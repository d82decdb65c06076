"""Canned replies: the sentences agents keep ready, shared by every agent and edited in the console.

A reply has a title (what the picker lists), its text (what goes into the reply box, with placeholders such as
{订单号} that the console fills from the open ticket) and an optional shortcut: typed as /shortcut in the reply
box, then Tab. Shortcuts are unique (the database enforces it too, so two agents saving the same one at once
cannot both win).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from topup.clock import Clock
from topup.db.engine import reading, unit_of_work
from topup.db.schema import CannedReplyRow

MAX_TITLE = 64
MAX_TEXT = 2000
MAX_SHORTCUT = 32
MAX_REPLIES = 500  # a shared list an agent scrolls through, not a knowledge base
_SHORTCUT = re.compile(r"[a-z0-9]{1,32}")


@dataclass(frozen=True)
class CannedReply:
    id: int
    title: str
    text: str
    shortcut: str  # "" when it has none
    updated_by: str
    updated_at: datetime

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "text": self.text, "shortcut": self.shortcut,
                "updated_by": self.updated_by, "updated_at": self.updated_at.isoformat() + "Z"}


class CannedInvalid(ValueError):
    """A reply the service refuses; `code` says why (the console API words it for the agent)."""

    def __init__(self, code: str, field: str) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


class CannedNotFound(LookupError):
    pass


def _reply(row: CannedReplyRow) -> CannedReply:
    return CannedReply(row.id, row.title, row.text, row.shortcut or "", row.updated_by, row.updated_at)


def clean(title: object, text: object, shortcut: object) -> tuple[str, str, str | None]:
    """The reply as it is stored: trimmed, the shortcut lower case without a leading slash (agents type
    "/TK" or " tk "), None when there is none; CannedInvalid for anything the console must not save."""
    title = title.strip() if isinstance(title, str) else ""
    text = text.strip() if isinstance(text, str) else ""
    if shortcut is None:
        shortcut = ""
    if not isinstance(shortcut, str):
        raise CannedInvalid("shortcut_invalid", "shortcut")
    shortcut = shortcut.strip().lstrip("/").strip().lower()
    if not title:
        raise CannedInvalid("title_empty", "title")
    if len(title) > MAX_TITLE:
        raise CannedInvalid("title_too_long", "title")
    if not text:
        raise CannedInvalid("text_empty", "text")
    if len(text) > MAX_TEXT:
        raise CannedInvalid("text_too_long", "text")
    if shortcut and not _SHORTCUT.fullmatch(shortcut):
        raise CannedInvalid("shortcut_too_long" if len(shortcut) > MAX_SHORTCUT else "shortcut_invalid", "shortcut")
    return title, text, shortcut or None


class CannedService:
    """List, create, change and delete canned replies; every change records who made it and when."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def list(self) -> list[CannedReply]:
        """Replies with a shortcut first (alphabetically: the ones agents type), then the rest by title."""
        with reading(self.engine) as session:
            rows = session.execute(
                select(CannedReplyRow)
                .order_by(CannedReplyRow.shortcut.is_(None), CannedReplyRow.shortcut, CannedReplyRow.title,
                          CannedReplyRow.id)
                .limit(MAX_REPLIES)
            ).scalars()
            return [_reply(r) for r in rows]

    def get(self, reply_id: int) -> CannedReply:
        with reading(self.engine) as session:
            row = session.get(CannedReplyRow, reply_id)
            if row is None:
                raise CannedNotFound(reply_id)
            return _reply(row)

    def create(self, title: object, text: object, shortcut: object, agent: str) -> CannedReply:
        title, text, key = clean(title, text, shortcut)
        try:
            with unit_of_work(self.engine) as session:
                if session.execute(select(func.count(CannedReplyRow.id))).scalar_one() >= MAX_REPLIES:
                    raise CannedInvalid("too_many", "title")
                self._refuse_taken(session, key, None)
                row = CannedReplyRow(title=title, text=text, shortcut=key, updated_by=agent,
                                     updated_at=self.clock.now())
                session.add(row)
                session.flush()
                return _reply(row)
        except IntegrityError as exc:  # a colleague saved the same shortcut a moment ago
            raise CannedInvalid("shortcut_taken", "shortcut") from exc

    def update(self, reply_id: int, title: object, text: object, shortcut: object, agent: str) -> CannedReply:
        title, text, key = clean(title, text, shortcut)
        try:
            with unit_of_work(self.engine) as session:
                row = session.get(CannedReplyRow, reply_id)
                if row is None:
                    raise CannedNotFound(reply_id)
                self._refuse_taken(session, key, reply_id)
                row.title, row.text, row.shortcut = title, text, key
                row.updated_by, row.updated_at = agent, self.clock.now()
                session.flush()
                return _reply(row)
        except IntegrityError as exc:
            raise CannedInvalid("shortcut_taken", "shortcut") from exc

    def delete(self, reply_id: int) -> None:
        with unit_of_work(self.engine) as session:
            row = session.get(CannedReplyRow, reply_id)
            if row is None:
                raise CannedNotFound(reply_id)
            session.delete(row)

    def seed(self, replies: Iterable[dict], agent: str = "") -> int:
        """Starting replies for a fresh list (the demo data): nothing is added once agents have any, so their
        own edits and deletions are never undone by a restart. How many were added."""
        cleaned = [clean(r.get("title"), r.get("text"), r.get("shortcut")) for r in replies]
        with unit_of_work(self.engine) as session:
            if session.execute(select(func.count(CannedReplyRow.id))).scalar_one():
                return 0
            now = self.clock.now()
            session.add_all(CannedReplyRow(title=t, text=x, shortcut=k, updated_by=agent, updated_at=now)
                            for t, x, k in cleaned)
            return len(cleaned)

    @staticmethod
    def _refuse_taken(session: Session, shortcut: str | None, reply_id: int | None) -> None:
        if shortcut is None:
            return
        query = select(CannedReplyRow.id).where(CannedReplyRow.shortcut == shortcut)
        if reply_id is not None:
            query = query.where(CannedReplyRow.id != reply_id)
        if session.execute(query).first() is not None:
            raise CannedInvalid("shortcut_taken", "shortcut")
