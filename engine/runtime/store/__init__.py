"""Run stores: `MemoryStore` (no persistence) and `SqlStore` (SQLite by default, any SQLAlchemy URL)."""

from .base import RunRecord, Store
from .memory import MemoryStore

__all__ = ["MemoryStore", "RunRecord", "Store"]
