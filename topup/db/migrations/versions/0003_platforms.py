"""Orders of every platform: tickets name any platform's order number (tickets.order_no from 16 to 32
characters: an acg-faka number has 18), and the orders of open conversations are watched for changes
(watched_orders: topup/services/watch.py).

Revision ID: 0003_platforms
Revises: 0002_security_events
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_platforms"
down_revision = "0002_security_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("order_no", existing_type=sa.String(length=16), type_=sa.String(length=32),
                           existing_nullable=True)
    op.create_table(
        "watched_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("told", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "order_no", name="uq_watched_orders_conversation_order"),
    )
    op.create_index("ix_watched_orders_expires", "watched_orders", ["expires_at"])
    op.create_index("ix_watched_orders_order", "watched_orders", ["order_no"])


def downgrade() -> None:
    op.drop_index("ix_watched_orders_order", table_name="watched_orders")
    op.drop_index("ix_watched_orders_expires", table_name="watched_orders")
    op.drop_table("watched_orders")
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("order_no", existing_type=sa.String(length=32), type_=sa.String(length=16),
                           existing_nullable=True)
