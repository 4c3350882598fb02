"""Connections: named, operator-configured credentials and servers that workflows refer to.

    conn = Connection.parse("crm", "sql", {"url": "postgresql+psycopg://..."})
    conn.summary()            # "postgresql+psycopg://crm@db/crm": never a credential
    await check(conn)         # "connected: SELECT 1 answered" or ConnectionCheckFailed

The vault (`engine.vault`) stores them encrypted; `Services.connections` hands them to steps.
"""

from .check import ConnectionCheckFailed, check
from .connection import Connection, ConnectionInvalid
from .kinds import KINDS, ConnectionConfig, HttpConfig, Kind, McpConfig, S3Config, SmtpConfig, SqlConfig

__all__ = [
    "KINDS",
    "Connection",
    "ConnectionCheckFailed",
    "ConnectionConfig",
    "ConnectionInvalid",
    "HttpConfig",
    "Kind",
    "McpConfig",
    "S3Config",
    "SmtpConfig",
    "SqlConfig",
    "check",
]
