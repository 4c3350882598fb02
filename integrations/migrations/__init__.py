"""Migrations of the channels' tables (see `engine.runtime.store.migrations`)."""

from pathlib import Path

from engine.runtime.store.migrations import Migrations

INTEGRATIONS = Migrations(Path(__file__).resolve().parent, "alembic_version_integrations")

__all__ = ["INTEGRATIONS"]
