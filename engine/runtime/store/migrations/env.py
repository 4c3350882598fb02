"""Alembic's entry point for the engine's tables (see `migrations/__init__.py`)."""

from engine.runtime.store.migrations import run_env
from engine.runtime.store.tables import metadata

run_env(metadata)
