"""The "Test" action of a connection: one cheap, real exchange with the other side.

Each kind's check lives with the client that the steps use for it (`engine.connectors`),
so a passing test means the steps will reach the server the same way.
"""

from __future__ import annotations

from importlib import import_module

from ..errors import LoomError
from .connection import Connection


class ConnectionCheckFailed(LoomError):
    """The connection's server could not be reached or refused the credentials; says which."""


async def check(connection: Connection) -> str:
    """Try the connection; return what worked in one line, or raise ConnectionCheckFailed."""
    module = import_module(f"engine.connectors.{connection.kind}")
    return await module.check(connection)
