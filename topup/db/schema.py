"""The schema: orders, payments, platform notices, handoff tickets and security events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class OrderRow(Base):
    __tablename__ = "orders"

    order_no = Column(String(16), primary_key=True)
    phone = Column(String(20), nullable=False)
    product_type = Column(String(32), nullable=False)
    product_name = Column(String(128), nullable=False)
    account = Column(String(64), nullable=False, default="")
    amount_cents = Column(Integer, nullable=False)
    payment_method = Column(String(32), nullable=False)
    status = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False)
    paid_at = Column(DateTime)
    status_changed_at = Column(DateTime, nullable=False)
    refund_started_at = Column(DateTime)
    refunded_at = Column(DateTime)

    payments = relationship("PaymentRow", order_by="PaymentRow.created_at", lazy="selectin")

    __table_args__ = (
        Index("ix_orders_status_changed", "status", "status_changed_at"),
        Index("ix_orders_phone_created", "phone", "created_at"),
    )


class PaymentRow(Base):
    __tablename__ = "payments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(16), ForeignKey("orders.order_no"), nullable=False, index=True)
    amount_cents = Column(Integer, nullable=False)
    method = Column(String(32), nullable=False)
    status = Column(String(20), nullable=False)
    created_at = Column(DateTime, nullable=False)


class NoticeRow(Base):
    __tablename__ = "notices"

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)
    title = Column(String(200), nullable=False)
    product_type = Column(String(32))
    payment_method = Column(String(32))
    starts_at = Column(DateTime, nullable=False)
    ends_at = Column(DateTime, nullable=False, index=True)


class TicketRow(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_no = Column(String(32), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    # conversation + order ("-" when no order): one ticket each, enforced by the database.
    dedupe_key = Column(String(300), nullable=False)
    order_no = Column(String(32))  # any platform's order number (migration 0003)
    phone_tail = Column(String(4))  # the order's phone tail, for the queue's search (migration 0004)
    verified = Column(Boolean, nullable=False, default=False)
    complaint = Column(String(32), nullable=False)
    customer_description = Column(Text, nullable=False, default="")
    handoff_reason = Column(String(64), nullable=False)
    priority = Column(String(10), nullable=False)
    priority_reasons = Column(JSON, nullable=False, default=list)
    order_snapshot = Column(JSON)
    steps = Column(JSON, nullable=False, default=list)
    transcript = Column(JSON, nullable=False, default=list)
    status = Column(String(20), nullable=False, default="open")
    assigned_agent = Column(String(64))
    claimed_at = Column(DateTime)
    resolved_at = Column(DateTime)
    resolution = Column(Text)
    rating = Column(Integer)
    rating_comment = Column(Text)  # what the customer added to the rating (migration 0004)
    first_reply_at = Column(DateTime)  # the first agent reply: time to first reply in the reports
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_tickets_conversation_order"),
        Index("ix_tickets_status_priority", "status", "priority", "created_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_order_status", "order_no", "status"),
        Index("ix_tickets_status_resolved", "status", "resolved_at"),
        Index("ix_tickets_phone_tail", "phone_tail"),
    )


class TicketMessageRow(Base):
    """The live conversation after a handoff: customer messages relayed to the agent, agent replies."""

    __tablename__ = "ticket_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_no = Column(String(32), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    role = Column(String(16), nullable=False)  # customer, agent, system, note (an agent's private note)
    author = Column(String(64), nullable=False, default="")
    text = Column(Text, nullable=False)
    attachment = Column(String(64))  # an attachment's token (attachments.token), shown with the text
    delivered = Column(Boolean, nullable=False, default=True)  # agent replies wait until shown to the customer
    created_at = Column(DateTime, nullable=False)


class AgentPresenceRow(Base):
    __tablename__ = "agent_presence"

    username = Column(String(64), primary_key=True)
    last_seen = Column(DateTime, nullable=False)


class SecurityEventRow(Base):
    """Failed and refused order lookups per client, shared by every action server (rate limits, audit)."""

    __tablename__ = "security_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    created_at = Column(DateTime, nullable=False)
    kind = Column(String(32), nullable=False)
    client_key = Column(String(128), nullable=False)
    conversation_id = Column(String(255))
    detail = Column(String(500), nullable=False, default="")

    __table_args__ = (Index("ix_security_events_client", "client_key", "kind", "created_at"),)


class WatchedOrderRow(Base):
    """An order a conversation looked up, watched until it expires: a change is told to the customer once."""

    __tablename__ = "watched_orders"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False)
    order_no = Column(String(32), nullable=False)
    status = Column(String(20), nullable=False)  # the last status seen
    told = Column(String(20))  # the last status the customer was told about
    created_at = Column(DateTime, nullable=False)
    changed_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("conversation_id", "order_no", name="uq_watched_orders_conversation_order"),
        Index("ix_watched_orders_expires", "expires_at"),
        Index("ix_watched_orders_order", "order_no"),
    )


class ConversationRow(Base):
    """One customer conversation as the reports and the console see it: when it started, what it was about, how
    it ended (the assistant solved it alone, or a person took it), and the customer's presence (web app)."""

    __tablename__ = "conversations"

    conversation_id = Column(String(255), primary_key=True)
    customer_sub = Column(String(64))  # a signed-in shop customer: their other devices find this conversation
    started_at = Column(DateTime, nullable=False)
    last_message_at = Column(DateTime, nullable=False)
    complaint = Column(String(32))
    outcome = Column(String(20), nullable=False, default="open")  # open, solved, handed_off
    closed_at = Column(DateTime)
    seen_at = Column(DateTime)  # the customer's page was last open (a heartbeat from the widget)
    read_ts = Column(Float)  # server time of the newest message the customer's page has shown
    typing_at = Column(DateTime)  # the customer was last typing
    agent_typing_at = Column(DateTime)  # the agent holding the chat was last typing

    __table_args__ = (
        Index("ix_conversations_started", "started_at", "outcome", "complaint"),  # covers the reports
        Index("ix_conversations_customer", "customer_sub", "last_message_at"),
    )


class TicketConversationRow(Base):
    """The conversations of one ticket: a second conversation about the same order joins the open case."""

    __tablename__ = "ticket_conversations"

    ticket_no = Column(String(32), primary_key=True)
    conversation_id = Column(String(255), primary_key=True)
    joined_at = Column(DateTime, nullable=False)
    transcript = Column(JSON, nullable=False, default=list)  # that conversation's words up to its handoff

    __table_args__ = (Index("ix_ticket_conversations_conversation", "conversation_id"),)


class AttachmentRow(Base):
    """An image a customer or an agent sent; the file lives outside the web root under its random token."""

    __tablename__ = "attachments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    ticket_no = Column(String(32), index=True)
    role = Column(String(16), nullable=False)  # customer, agent
    author = Column(String(64), nullable=False, default="")
    content_type = Column(String(32), nullable=False)
    size_bytes = Column(Integer, nullable=False)
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False)


class CannedReplyRow(Base):
    """A reply agents keep ready, edited by agents in the console."""

    __tablename__ = "canned_replies"

    id = Column(Integer, primary_key=True, autoincrement=True)
    title = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    shortcut = Column(String(32), unique=True)  # typed as /shortcut in the reply box
    updated_by = Column(String(64), nullable=False, default="")
    updated_at = Column(DateTime, nullable=False)
