"""Images customers and agents send in a conversation (docs/CONSOLE.md, "Attachments").

- Only what `topup.services.images.clean` accepts is kept: checked by content, re-encoded without metadata.
- Files live in TOPUP_ATTACHMENTS_DIR, outside the web root, named by a random token (32 bytes, url-safe) and
  nothing of the sender's file name; written to a temporary name and renamed, so a reader never sees half a file.
  The token is the only way to ask for one, and the web app gives it only to the conversation's customer and to
  signed-in agents (`visible_to`).
- The row (table `attachments`) says whose it is: the conversation, the ticket when there was one, who sent it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.schema import AttachmentRow, TicketConversationRow, TicketRow
from topup.services.images import ImageRefused, clean

URL_PREFIX = "/api/attachments/"  # the web app serves each one there (web/attachments.py)
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{43}")  # what secrets.token_urlsafe(32) makes
ROLES = ("customer", "agent")


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = 8 * 1024 * 1024  # TOPUP_ATTACHMENT_MAX_BYTES
    max_pixels: int = 40_000_000  # well below Pillow's own bomb guard (about 179 million)
    per_conversation: int = 30  # a flood of images from one conversation stops here


class AttachmentRefused(ValueError):
    """Not kept. `reason`: not_image, broken, too_many_pixels, too_big, too_many."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AttachmentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Attachment:
    token: str
    conversation_id: str
    ticket_no: str | None
    role: str
    author: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    created_at: datetime

    @property
    def url(self) -> str:
        return attachment_url(self.token)

    def as_dict(self) -> dict:
        """What the console and the chat page read (never the conversation id: that is the customer's key)."""
        return {"token": self.token, "url": self.url, "ticket_no": self.ticket_no, "role": self.role,
                "author": self.author, "content_type": self.content_type, "size_bytes": self.size_bytes,
                "width": self.width, "height": self.height, "created_at": self.created_at.isoformat() + "Z"}


def attachment_url(token: str) -> str:
    """Where the web app serves it; the customer's page adds its session, an agent's browser sends its cookie."""
    return URL_PREFIX + token


def _view(row: AttachmentRow) -> Attachment:
    return Attachment(row.token, row.conversation_id, row.ticket_no, row.role, row.author, row.content_type,
                      row.size_bytes, row.width, row.height, row.created_at)


class AttachmentService:
    def __init__(self, engine: Engine, clock: Clock, directory: Path, limits: AttachmentLimits | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.directory = Path(directory)
        self.limits = limits or AttachmentLimits()

    # --- keeping one ------------------------------------------------------------------------------------------

    def store(self, conversation_id: str, role: str, author: str, data: bytes,
              ticket_no: str | None = None) -> Attachment:
        """Check, clean and keep an image; AttachmentRefused says why one is not kept (nothing is written then)."""
        if role not in ROLES:
            raise ValueError(f"role is one of {ROLES}")
        if len(data) > self.limits.max_bytes:
            raise AttachmentRefused("too_big")
        if self.count(conversation_id) >= self.limits.per_conversation:
            raise AttachmentRefused("too_many")
        try:
            image = clean(data, self.limits.max_pixels)
        except ImageRefused as exc:
            raise AttachmentRefused(exc.reason) from None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        path = self.path(token)
        self._write(path, image.data)
        row = AttachmentRow(token=token, conversation_id=conversation_id, ticket_no=ticket_no, role=role,
                            author=author, content_type=image.content_type, size_bytes=len(image.data),
                            width=image.width, height=image.height, created_at=self.clock.now())
        try:
            with unit_of_work(self.engine) as session:
                session.add(row)
                session.flush()
                return _view(row)
        except BaseException:
            path.unlink(missing_ok=True)  # no row, no file: nothing the customer cannot see is left behind
            raise

    def path(self, token: str) -> Path:
        """The file of a token (in a folder per first two characters, so no folder grows without bound)."""
        if not _TOKEN.fullmatch(token):
            raise AttachmentNotFound(token[:8])
        return self.directory / token[:2] / token

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    # --- finding them -----------------------------------------------------------------------------------------

    def open(self, token: str) -> tuple[Attachment, Path]:
        """The attachment and its file; AttachmentNotFound for an unknown token or a missing file."""
        path = self.path(token)
        with unit_of_work(self.engine) as session:
            row = session.execute(select(AttachmentRow).where(AttachmentRow.token == token)).scalar_one_or_none()
            if row is None:
                raise AttachmentNotFound(token[:8])
            found = _view(row)
        if not path.is_file():
            raise AttachmentNotFound(token[:8])
        return found, path

    def visible_to(self, attachment: Attachment, conversation_id: str) -> bool:
        """May the customer of this conversation see it: sent in their conversation, or on a ticket that is theirs
        (the agent's images, and those of another conversation joined to their case, once on the ticket)."""
        if attachment.conversation_id == conversation_id:
            return True
        if not attachment.ticket_no:
            return False
        with unit_of_work(self.engine) as session:
            joined = session.execute(select(TicketConversationRow.ticket_no).where(
                TicketConversationRow.ticket_no == attachment.ticket_no,
                TicketConversationRow.conversation_id == conversation_id)).first()
            own = session.execute(select(TicketRow.id).where(
                TicketRow.ticket_no == attachment.ticket_no, TicketRow.conversation_id == conversation_id)).first()
            return joined is not None or own is not None

    def count(self, conversation_id: str) -> int:
        with unit_of_work(self.engine) as session:
            return int(session.execute(select(func.count(AttachmentRow.id)).where(
                AttachmentRow.conversation_id == conversation_id)).scalar() or 0)

    def for_conversations(self, conversation_ids: Iterable[str]) -> list[Attachment]:
        ids = sorted(set(conversation_ids))
        if not ids:
            return []
        with unit_of_work(self.engine) as session:
            rows = session.execute(select(AttachmentRow).where(AttachmentRow.conversation_id.in_(ids))
                                   .order_by(AttachmentRow.created_at, AttachmentRow.id)).scalars()
            return [_view(r) for r in rows]

    def for_ticket(self, ticket_no: str) -> list[Attachment]:
        """Every image of the case: those sent on the ticket and those of its conversations, also from before the
        handoff (the conversation's own and every conversation joined to the ticket), oldest first."""
        with unit_of_work(self.engine) as session:
            conversations = select(TicketConversationRow.conversation_id).where(
                TicketConversationRow.ticket_no == ticket_no)
            own = select(TicketRow.conversation_id).where(TicketRow.ticket_no == ticket_no)
            rows = session.execute(
                select(AttachmentRow)
                .where(or_(AttachmentRow.ticket_no == ticket_no, AttachmentRow.conversation_id.in_(conversations),
                           AttachmentRow.conversation_id.in_(own)))
                .order_by(AttachmentRow.created_at, AttachmentRow.id)
            ).scalars()
            return [_view(r) for r in rows]
