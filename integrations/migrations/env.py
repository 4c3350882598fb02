"""Alembic's entry point for the channels' tables."""

from engine.runtime.store.migrations import run_env
from integrations.tables import metadata

run_env(metadata)
