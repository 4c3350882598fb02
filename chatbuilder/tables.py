"""The builder's tables: sessions, their messages, versions, repair attempts, and settings.

Kept current by this package's own migrations (`chatbuilder/migrations/`, version table
`alembic_version_chatbuilder`), beside the engine's tables in the same database.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})

sessions = Table(
    "builder_sessions", metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_builder_sessions_updated_at", "updated_at"),
)

messages = Table(
    "builder_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(32), ForeignKey("builder_sessions.id"), nullable=False),
    Column("role", String(16), nullable=False),  # user, assistant
    Column("content", Text, nullable=False),
    Column("version", Integer, nullable=True),  # the version this answer produced
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_builder_messages_session_id", "session_id"),
)

versions = Table(
    "builder_versions", metadata,
    Column("session_id", String(32), ForeignKey("builder_sessions.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("yaml", Text, nullable=False),
    Column("source", String(16), nullable=False),  # model, edit, restore
    Column("diff", Text, nullable=False),
    Column("changes", Text, nullable=False),  # JSON of the ChangeSummary
    Column("capabilities", Text, nullable=False),  # JSON of the Capabilities, `new` included
    Column("created_at", DateTime(timezone=True), nullable=False),
)

attempts = Table(
    "builder_attempts", metadata,
    # Every answer of the model (or the offline drafter) within a turn, valid or not: the drafts.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(32), ForeignKey("builder_sessions.id"), nullable=False),
    Column("message_id", Integer, nullable=False),  # the user message the turn answered
    Column("number", Integer, nullable=False),  # 1 for the first answer of the turn
    Column("reply", Text, nullable=False),
    Column("yaml", Text, nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of {path, line, column, message, hint}
    Column("valid", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_builder_attempts_session_id", "session_id"),
)

settings = Table(
    "builder_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=True),
)
