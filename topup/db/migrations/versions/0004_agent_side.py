"""The agent's side: conversations (outcome, presence, typing), a ticket's several conversations, attachments,
canned replies, private notes and attachments on live messages, the rating's comment and the first reply's time.

Revision ID: 0004_agent_side
Revises: 0003_platforms
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_agent_side"
down_revision = "0003_platforms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("phone_tail", sa.String(length=4), nullable=True))
    op.create_index("ix_tickets_created", "tickets", ["created_at"])
    op.create_index("ix_tickets_status_resolved", "tickets", ["status", "resolved_at"])
    op.create_index("ix_tickets_phone_tail", "tickets", ["phone_tail"])
    _fill_phone_tails()
    op.create_index("ix_tickets_order_status", "tickets", ["order_no", "status"])
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("attachment", sa.String(length=64), nullable=True))
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("customer_sub", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=False),
        sa.Column("complaint", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.Column("read_ts", sa.Float(), nullable=True),
        sa.Column("typing_at", sa.DateTime(), nullable=True),
        sa.Column("agent_typing_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_conversations_started", "conversations", ["started_at", "outcome", "complaint"])
    op.create_index("ix_conversations_customer", "conversations", ["customer_sub", "last_message_at"])
    op.create_table(
        "ticket_conversations",
        sa.Column("ticket_no", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_no", "conversation_id"),
    )
    op.create_index("ix_ticket_conversations_conversation", "ticket_conversations", ["conversation_id"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("ticket_no", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_attachments_conversation_id", "attachments", ["conversation_id"])
    op.create_index("ix_attachments_ticket_no", "attachments", ["ticket_no"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shortcut", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortcut"),
    )
    # Existing tickets: their own conversation is their first.
    op.execute("INSERT INTO ticket_conversations (ticket_no, conversation_id, joined_at, transcript) "
               "SELECT ticket_no, conversation_id, created_at, '[]' FROM tickets")


def _fill_phone_tails() -> None:
    """Existing tickets: the tail from their order snapshot's masked phone ("*******3821")."""
    bind = op.get_bind()
    tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("order_snapshot", sa.JSON),
                       sa.column("phone_tail", sa.String))
    for ticket_id, snapshot in bind.execute(sa.select(tickets.c.id, tickets.c.order_snapshot)).all():
        masked = str((snapshot or {}).get("phone_masked") or "") if isinstance(snapshot, dict) else ""
        if len(masked) >= 4 and masked[-4:].isdigit():
            bind.execute(tickets.update().where(tickets.c.id == ticket_id).values(phone_tail=masked[-4:]))


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_index("ix_attachments_ticket_no", table_name="attachments")
    op.drop_index("ix_attachments_conversation_id", table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("ix_ticket_conversations_conversation", table_name="ticket_conversations")
    op.drop_table("ticket_conversations")
    op.drop_index("ix_conversations_customer", table_name="conversations")
    op.drop_index("ix_conversations_started", table_name="conversations")
    op.drop_table("conversations")
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_column("attachment")
    op.drop_index("ix_tickets_phone_tail", table_name="tickets")
    op.drop_index("ix_tickets_status_resolved", table_name="tickets")
    op.drop_index("ix_tickets_order_status", table_name="tickets")
    op.drop_index("ix_tickets_created", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("phone_tail")
        batch.drop_column("first_reply_at")
        batch.drop_column("rating_comment")
