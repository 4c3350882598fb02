"""Run stores: `MemoryStore` (no persistence) and `SqlStore` (SQLite by default, any SQLAlchemy URL).

`SqlStore` is imported on first use: SQLAlchemy takes ~80 ms to import, and `loom validate`
never needs it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .base import RunRecord, Store
from .memory import MemoryStore

if TYPE_CHECKING:
    from .sql import SqlStore


def default_store() -> Store:
    """The store a server or the CLI uses: `LOOM_DATABASE_URL`, else a SQLite file under LOOM_HOME."""
    from .sql import SqlStore

    return SqlStore(os.environ.get("LOOM_DATABASE_URL") or None)


def __getattr__(name: str) -> Any:
    if name == "SqlStore":
        from .sql import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MemoryStore", "RunRecord", "SqlStore", "Store", "default_store"]
