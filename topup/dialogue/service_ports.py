"""The engine's ports on the real services, for one conversation turn (one call of action_converse).

Every database call of a turn shares one deadline, TOPUP_ACTION_DB_SECONDS from the turn's start: a hung database
costs the turn at most that long, whatever the engine asks for, and the answer says what could not be done (a
lookup: "the order system cannot be reached"; a handoff: kept on disk and delivered when it is back). The call
itself runs on in its worker thread and its effect stands.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from topup.app import App
from topup.conversation import customer_description, frustration, shown_text, transcript
from topup.customer_token import Customer
from topup.diagnosis import complaint_of
from topup.dialogue.model import Case
from topup.dialogue.ports import Handoff, TicketState, Verification, debited
from topup.model import Complaint, OrderFacts, StepRecord
from topup.presentation import local_time, payment_label, yuan
from topup.services.handoff import HandoffRequest
from topup.services.outbox import DATABASE_DOWN
from topup.services.security import client_key, mask_order_no
from topup.sources.proof import Proof

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Database calls run here, so a hung one holds a worker, not the turn. Bounded: when every worker is stuck on a
# hung database, a new call waits in the queue and its turn answers at the deadline all the same.
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="dialogue-db")


class ServicePorts:
    def __init__(self, app: App, sender: str, metadata: Mapping[str, Any], events: Sequence[dict]) -> None:
        self.app, self.sender, self.events = app, sender, list(events)
        self.metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
        source = app.source
        # A shop's signed token vouches for a phone number: it proves orders only where the source's proof can be
        # a phone (the tail; acg-faka's contact), never dujiaoka's email: there the customer is asked as any other.
        customer = app.customers.verify(self.metadata.get("customer_token"))
        self.customer: Customer | None = customer if source.proof is not Proof.EMAIL else None
        self.max_attempts = app.settings.max_verify_attempts
        self.signed_in = self.customer is not None
        # a platform's own wording of the order-number and proof sentences (responses.variant)
        self.wording_tags = () if source.platform == "builtin" else (source.order_format.name, source.proof.value)
        self.deadline = time.monotonic() + app.settings.action_db_seconds
        self._signed: tuple[str | None] | None = None

    def _call(self, func: Callable[..., T], *args: Any) -> T:  # noqa: ANN401
        """`func(*args)` in a worker, waited for until the turn's deadline (TimeoutError past it)."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise concurrent.futures.TimeoutError
        return _POOL.submit(func, *args).result(timeout=remaining)

    # --- orders ---------------------------------------------------------------------------------------------

    def signed_order(self) -> str | None:
        """A shop's signed-in customer: their latest order (their phone stands in for the tail)."""
        if self.customer is None:
            return None
        if self._signed is None:
            try:
                self._signed = (self._call(self.app.lookups.latest_order_no, self.customer.phone),)
            except Exception:  # unknown for now: the customer is asked for the number instead
                logger.exception("latest order lookup failed for %s", self.sender)
                self._signed = (None,)
        return self._signed[0]

    def verify(self, order_no: str, tail: str, complaint: str | None, claims_debit: bool) -> Verification:
        app = self.app
        if not tail and self.customer is not None:
            tail = self.customer.phone[-4:]
        client = client_key(self.metadata, self.sender, self.customer)
        detail = f"order={mask_order_no(order_no)}"
        try:
            verdict = self._call(app.security.check, client, order_no, self.sender, detail)
            if verdict != "allowed":
                return Verification(verdict)
            result = self._call(app.lookups.look_up, order_no, tail, Complaint.parse(complaint), claims_debit)
        except concurrent.futures.TimeoutError:
            logger.error("order lookup for %s took longer than %.1fs", self.sender, app.settings.action_db_seconds)
            return Verification("error")
        except Exception:  # the database is down or broken: said so, nothing the customer gave is lost
            logger.exception("order lookup failed for %s", self.sender)
            return Verification("error")
        if not result.verified:
            try:
                self._call(app.security.record_failure, client, order_no, self.sender, detail)
            except Exception:  # the answer stays the same; the failure was logged before writing
                logger.exception("security event not stored for %s", self.sender)
            return Verification("not_verified")
        assert result.order is not None and result.diagnosis is not None
        try:  # told when it changes (topup/services/watch.py); the answer does not wait for it
            _POOL.submit(app.watch.watch, self.sender, order_no, result.order.status.value)
        except RuntimeError:
            logger.warning("order not watched for %s", self.sender)
        return Verification("verified", self._facts(result.order, result.diagnosis),
                            result.diagnosis.kind.value, tuple(s.value for s in result.diagnosis.steps),
                            result.diagnosis.escalate, debited(result.order.debit_status),
                            result.diagnosis.priority.value == "high")

    def _facts(self, order: OrderFacts, diagnosis: Any) -> dict[str, Any]:  # noqa: ANN401
        now, zone = self.app.clock.now(), self.app.clock.zone
        refund_at = order.refunded_at or order.refund_started_at
        return {
            "order_product": order.product_name, "order_product_type": order.product_type,
            "order_payment_method": order.payment_method, "order_amount": yuan(order.amount_cents),
            "order_payment": payment_label(order.payment_method), "order_paid_at": local_time(order.paid_at, now, zone),
            "minutes_waiting": str(diagnosis.minutes_since_paid or 0),
            "wait_until": local_time(diagnosis.wait_until, now, zone),
            "notice_title": diagnosis.notice.title if diagnosis.notice else None,
            "refund_time": local_time(refund_at, now, zone),
        }

    def notices(self, product_type: str | None, payment_method: str | None) -> tuple[str, dict[str, Any]]:
        try:
            active = self._call(self.app.lookups.active_notices)
        except Exception:
            logger.exception("notice lookup failed")
            return "utter_notice_error", {}
        if not active:
            return "utter_notice_none", {}
        now, zone = self.app.clock.now(), self.app.clock.zone
        values = {"notice_title": "；".join(n.title for n in active),
                  "wait_until": local_time(max(n.ends_at for n in active), now, zone)}
        if product_type and not any(n.applies_to(product_type, payment_method) for n in active):
            return "utter_notice_unrelated", values
        return "utter_notice_active", values

    # --- tickets --------------------------------------------------------------------------------------------

    def hand_off(self, case: Case, reason: str) -> Handoff:
        app = self.app
        request = HandoffRequest(
            conversation_id=self.sender, order_no=case.order_no, verified=case.verified,
            complaint=complaint_of(case.complaint, case.diagnosis, case.claims_debit),
            customer_description=customer_description(self.events),
            reason=reason, steps=[StepRecord(s["step"], s["outcome"]) for s in case.steps
                                  if s.get("outcome") in ("helped", "not_helped")],
            transcript=transcript(self.events), claims_debit=case.claims_debit,
            frustration=max(frustration(self.events), case.frustration), complained=case.complained,
            angry=case.angry,
        )
        try:
            result = self._call(app.handoffs.hand_off, request)
        except concurrent.futures.TimeoutError:
            # Too slow for this turn: kept on disk as well; if the slow call finishes after all, delivering the
            # file finds its ticket (one per conversation and order).
            logger.warning("handoff for %s took longer than %.1fs; queued on disk", self.sender,
                           app.settings.action_db_seconds)
            return self._queue(request)
        except DATABASE_DOWN as error:
            logger.warning("database unreachable during handoff for %s: %s", self.sender, type(error).__name__)
            return self._queue(request)
        except Exception:
            logger.exception("handoff failed for conversation %s", self.sender)
            return Handoff("failed")
        now, zone = app.clock.now(), app.clock.zone
        hours = app.settings.business_hours
        values = {"ticket_no": result.ticket_no, "ticket_wait": str(result.wait_minutes),
                  "opening_time": local_time(hours.next_opening(now, zone), now, zone)}
        if not hours.is_open(now, zone):
            return Handoff("offhours", result.ticket_no, values)
        try:
            online = self._call(app.console.agents_online)
        except Exception:  # the ticket exists; not knowing who is online must not hide that
            online = 1
        return Handoff("created" if online else "no_agent", result.ticket_no, values)

    def _queue(self, request: HandoffRequest) -> Handoff:
        try:
            self.app.outbox.enqueue(request)
        except OSError:
            logger.exception("handoff for %s could not be queued either", self.sender)
            return Handoff("failed")
        return Handoff("queued")

    def _state(self, view: Any) -> TicketState:  # noqa: ANN401 - a TicketView
        waited = max(0, int((self.app.clock.now() - view.created_at).total_seconds() // 60))
        agent = view.details.get("assigned_agent")
        return TicketState(view.ticket_no, view.status.value, view.order_no,
                           self.app.agents.display_name(agent) if agent else None, waited)

    def ticket(self, ticket_no: str) -> TicketState | None:
        try:
            view = self._call(self.app.console.ticket_state, ticket_no)
        except Exception:
            logger.exception("ticket %s could not be read", ticket_no)
            return None
        return None if view is None else self._state(view)

    def open_ticket(self) -> TicketState | None:
        try:
            view = self._call(self.app.console.open_for_conversation, self.sender)
        except Exception:
            logger.exception("open ticket lookup failed for %s", self.sender)
            return None
        return None if view is None else self._state(view)

    def note(self, ticket_no: str, text: str) -> None:
        try:
            self._call(self.app.console.add_customer_note, ticket_no, shown_text(text, self.events))
        except Exception:
            logger.exception("note not added to %s", ticket_no)

    def move_ticket(self, ticket_no: str, order_no: str, verified: bool) -> None:
        try:
            self._call(self.app.console.move_ticket, ticket_no, order_no, verified)
        except Exception:
            logger.exception("ticket %s not moved to the new order", ticket_no)

    def close_ticket(self, ticket_no: str) -> None:
        try:
            self._call(self.app.console.close_by_customer, ticket_no)
        except Exception:
            logger.exception("ticket %s not closed", ticket_no)

    def contact(self) -> dict[str, Any]:
        settings = self.app.settings
        return {"contact_phone": settings.contact_phone, "contact_hours": str(settings.business_hours)}
