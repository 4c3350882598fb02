"""Alembic's entry point for the builder's tables."""

from chatbuilder.tables import metadata
from engine.runtime.store.migrations import run_env

run_env(metadata)
