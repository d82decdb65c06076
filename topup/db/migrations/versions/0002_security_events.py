"""Security events: failed and refused order lookups per client, for the per-client lookup limit.

Shared by every action server through the orders database; topup.services.security reads and writes it.

Revision ID: 0002_security_events
Revises: 0001_initial
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_security_events"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("client_key", sa.String(length=128), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_events_client", "security_events", ["client_key", "kind", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_security_events_client", table_name="security_events")
    op.drop_table("security_events")
