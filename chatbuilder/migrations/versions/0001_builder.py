"""Builder sessions, messages, versions, repair attempts and settings.

Revision ID: b0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "builder_sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_builder_sessions"),
    )
    op.create_index("ix_builder_sessions_updated_at", "builder_sessions", ["updated_at"])
    op.create_table(
        "builder_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["builder_sessions.id"], name="fk_builder_messages_session_id"),
        sa.PrimaryKeyConstraint("id", name="pk_builder_messages"),
    )
    op.create_index("ix_builder_messages_session_id", "builder_messages", ["session_id"])
    op.create_table(
        "builder_versions",
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["builder_sessions.id"], name="fk_builder_versions_session_id"),
        sa.PrimaryKeyConstraint("session_id", "number", name="pk_builder_versions"),
    )
    op.create_table(
        "builder_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["builder_sessions.id"], name="fk_builder_attempts_session_id"),
        sa.PrimaryKeyConstraint("id", name="pk_builder_attempts"),
    )
    op.create_index("ix_builder_attempts_session_id", "builder_attempts", ["session_id"])
    op.create_table(
        "builder_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_builder_settings"),
    )


def downgrade() -> None:
    for table in ("builder_settings", "builder_attempts", "builder_versions", "builder_messages", "builder_sessions"):
        op.drop_table(table)
