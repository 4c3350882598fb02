"""The SQL schema of the engine's tables (runs, saved workflows, the vault), in one place.
Migrations (`migrations/versions/`) must match it.

Timestamps that a `RunRecord` carries (`started_at`, `finished_at`) are kept as the ISO-8601
strings the executor writes, so a record reads back exactly as it was saved; the columns the
store alone writes (`updated_at`, `created_at`) are real timestamps.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
})

runs = Table(
    "runs", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("workflow", String(128), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("inputs", JSON, nullable=False),
    Column("trigger", JSON, nullable=False),
    Column("source", Text, nullable=False),
    Column("started_at", String(40), nullable=False, index=True),
    Column("finished_at", String(40), nullable=True),
    Column("outputs", JSON, nullable=False),
    Column("error", JSON(none_as_null=True), nullable=True),
    Column("replies", JSON, nullable=False),
    Column("usage", JSON, nullable=False),
    Column("parent_run_id", String(64), nullable=True, index=True),
)

steps = Table(
    "steps", metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("step_id", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("output", JSON, nullable=True),
    Column("error", JSON(none_as_null=True), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("usage", JSON, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

memories = Table(
    "memories", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

workflows = Table(
    "workflows", metadata,
    Column("name", String(128), primary_key=True),
    Column("version", Integer, nullable=False),  # the newest version, the one that runs
    Column("enabled", Boolean, nullable=False),  # whether its triggers (webhook, chat, cron) answer
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

workflow_versions = Table(
    "workflow_versions", metadata,
    Column("name", String(128), ForeignKey("workflows.name", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("source", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The vault (`engine.vault`): only names, a connection's kind and summary (where it points,
# never a credential) and timestamps are in clear; the rest is one Fernet token per row.
secrets = Table(
    "secrets", metadata,
    Column("name", String(63), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

connections = Table(
    "connections", metadata,
    Column("name", String(63), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
