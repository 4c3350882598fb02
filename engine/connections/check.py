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
    name = f"engine.connectors.{connection.kind}"
    try:
        module = import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the connector exists but a library it needs is missing: that is a real error
        module = None
    test = getattr(module, "check", None)
    if test is None:
        raise ConnectionCheckFailed(f"testing {connection.kind} connections is not supported yet "
                                    f"(connection '{connection.name}')")
    return await test(connection)
