"""Migrations of the builder's tables (see `engine.runtime.store.migrations`)."""

from pathlib import Path

from engine.runtime.store.migrations import Migrations

CHATBUILDER = Migrations(Path(__file__).resolve().parent, "alembic_version_chatbuilder")

__all__ = ["CHATBUILDER"]
