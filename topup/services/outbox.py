"""Handoffs that could not reach the database: kept on local disk and delivered once it is back.

A handoff request is written as one JSON file per conversation and order (so asking twice keeps one
file), atomically (write, fsync, rename). `flush` hands each file to the ticket service, which is
idempotent per conversation and order, so a file delivered twice by two action servers still makes
one ticket. Files are removed only after their ticket exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from topup.model import Complaint, StepRecord
from topup.services.handoff import HandoffRequest, HandoffService, dedupe_key

logger = logging.getLogger(__name__)

# What "the database is unreachable" looks like through SQLAlchemy (connection refused or dropped, a
# statement timeout, a full pool), or for SQLite, its file's folder (OSError). Anything else (a constraint,
# bad data) is a bug and is not queued: the customer is told the handoff failed.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout, OSError)


@dataclass(frozen=True)
class FlushResult:
    delivered: list[str]  # ticket numbers
    pending: int


def _file_name(request: HandoffRequest) -> str:
    digest = hashlib.sha256(dedupe_key(request.conversation_id, request.order_no).encode()).hexdigest()
    return f"handoff-{digest[:32]}.json"


def _encode(request: HandoffRequest, requested_at: datetime) -> dict:
    body = asdict(request)
    body["complaint"] = request.complaint.value
    return {"requested_at": requested_at.isoformat(), "request": body}


def _decode(payload: dict) -> tuple[HandoffRequest, datetime]:
    body = dict(payload["request"])
    body["complaint"] = Complaint.parse(body["complaint"])
    body["steps"] = [StepRecord(**step) for step in body.get("steps") or []]
    return HandoffRequest(**body), datetime.fromisoformat(payload["requested_at"])


class Outbox:
    """The spool folder of one machine, delivered through the ticket service."""

    def __init__(self, directory: Path, handoffs: HandoffService) -> None:
        self.directory = directory
        self.handoffs = handoffs

    def _spool(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory

    def enqueue(self, request: HandoffRequest, now: datetime | None = None) -> Path:
        """Keep the request on disk until the database takes it. Raises OSError if the disk refuses too."""
        spool = self._spool()
        target = spool / _file_name(request)
        fd, temporary = tempfile.mkstemp(dir=spool, prefix=".incoming-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(_encode(request, now or self.handoffs.clock.now()), handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        logger.warning("handoff for conversation %s queued on disk: the database is unreachable",
                       request.conversation_id)
        return target

    def pending(self) -> list[Path]:
        """Queued files, oldest first; one another action server delivers while we list them is left out."""
        found = []
        for path in self._spool().glob("handoff-*.json"):
            with suppress(FileNotFoundError):
                found.append((path.stat().st_mtime, path))
        return [path for _, path in sorted(found)]

    def flush(self, limit: int = 200) -> FlushResult:
        """Deliver queued handoffs, oldest first; stop at the first sign the database is still down."""
        delivered: list[str] = []
        files = self.pending()
        for path in files[:limit]:
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
                request, requested_at = _decode(payload)
            except FileNotFoundError:  # another action server delivered it a moment ago
                continue
            except (ValueError, KeyError, TypeError):
                logger.error("unreadable queued handoff %s kept aside as .bad", path.name)
                with suppress(FileNotFoundError):  # another action server put it aside first
                    path.rename(path.with_suffix(".bad"))
                continue
            try:
                result = self.handoffs.hand_off(request, now=requested_at)
            except DATABASE_DOWN as error:
                logger.info("database still unreachable (%s); %d handoff(s) stay queued",
                            type(error.orig if hasattr(error, "orig") else error).__name__,
                            len(files) - len(delivered))
                break
            path.unlink(missing_ok=True)
            delivered.append(result.ticket_no)
            logger.info("queued handoff for %s delivered as %s", request.conversation_id, result.ticket_no)
        return FlushResult(delivered, len(self.pending()))
