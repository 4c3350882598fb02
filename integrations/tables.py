"""The tables the channels own: API keys, deliveries already taken (dedupe), cron schedules.

Kept current by this package's own migrations (`integrations/migrations/`, version table
`alembic_version_integrations`), beside the engine's tables in the same database.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
})

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),  # public part of the key, shown in listings
    Column("name", String(128), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),  # SHA-256 of the whole key; the key is never stored
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

deliveries = Table(
    "deliveries", metadata,
    # A delivery is taken once: the first insert of (channel, key) wins, every repeat finds it.
    Column("channel", String(32), primary_key=True),  # webhook, telegram, whatsapp, cron
    Column("key", String(255), primary_key=True),  # Idempotency-Key (scoped), update_id, MessageSid, due time
    Column("body_sha256", String(64), nullable=True),
    Column("run_id", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_deliveries_created_at", "created_at"),
)

schedules = Table(
    "schedules", metadata,
    Column("workflow", String(128), primary_key=True),
    Column("trigger", String(64), primary_key=True),  # the trigger's position among the workflow's triggers
    Column("cron", String(128), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("inputs", Text, nullable=False),  # JSON of the trigger's inputs
    Column("next_fire_at", DateTime(timezone=True), nullable=True),
    Column("last_fired_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
