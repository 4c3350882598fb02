"""What a database's refusal means for a `sql` step: which `ErrorKind`, and what to tell the author.

Drivers report the same situation three ways (a PostgreSQL SQLSTATE, a MariaDB error number, an
SQLite result code), so each case is a set of codes per driver, named once here:

- a write in a read step (SQLSTATE 25006, MariaDB 1792, SQLITE_READONLY): kind `sql`, and the
  message says to add `mode: write`;
- the statement timeout (57014, 1969 or MySQL's 3024, SQLITE_INTERRUPT): kind `timeout`;
- a lost or unreachable server, a deadlock, a lock timeout, a serialization failure, a busy
  database, a pool with no free connection: kind `transient`, which `retry.on: [transient]` retries;
- anything else the database refused (bad SQL, a missing table, wrong credentials): kind `sql`.

Messages come from the driver's own exception, never SQLAlchemy's, whose text repeats the bound
parameters (they may hold secrets); the URL's password is masked in case a driver echoes it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..errors import ErrorKind, StepError

READ_ONLY = frozenset({"25006", 1792, "SQLITE_READONLY"})
TIMED_OUT = frozenset({"57014", 1969, 3024, "SQLITE_INTERRUPT"})
TRANSIENT = frozenset({
    "40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03",  # PostgreSQL
    1040, 1205, 1213, 2002, 2003, 2005, 2006, 2013, 2055,            # MariaDB and MySQL
    "SQLITE_BUSY", "SQLITE_LOCKED",
})
BACKGROUND = re.compile(r"\s*\(Background on this error at: \S+\)$")  # SQLAlchemy's link to its docs
UNREACHABLE = ("connection refused", "could not translate host name", "timeout expired", "no route to host")


def display(url: URL) -> str:
    """The URL without its password or query: safe in any message."""
    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
    return bare.render_as_string(hide_password=False)


def step_error(exc: SQLAlchemyError, url: URL, seconds: float, *, connecting: bool = False) -> StepError:
    """The StepError a failed statement (or, `connecting`, a failed connection) becomes."""
    where = display(url)
    if isinstance(exc, PoolTimeout):
        return StepError(f"every connection to {where} is busy; try fewer steps at once", ErrorKind.TRANSIENT)
    if not isinstance(exc, DBAPIError):  # e.g. a placeholder without a value, a value no driver takes
        cause = getattr(exc, "orig", None) or exc
        return StepError(_masked(f"{where} refused the statement: {_text(cause)}", url), ErrorKind.SQL)
    codes, text = _codes(exc.orig), _masked(_text(exc.orig), url)
    if connecting:
        return _connect_error(codes, text, where)
    if codes & READ_ONLY:
        return StepError(f"a read step cannot change {where} ({text}): add `mode: write` to the step to run "
                         "INSERT, UPDATE, DELETE or DDL", ErrorKind.SQL)
    if codes & TIMED_OUT:
        return StepError(f"the statement ran past the step's timeout of {seconds:g}s and {where} stopped it",
                         ErrorKind.TIMEOUT)
    if exc.connection_invalidated or _transient(codes):
        return StepError(f"{where} failed, try again: {text}", ErrorKind.TRANSIENT)
    return StepError(f"{where} refused the statement: {text}", ErrorKind.SQL)


def _connect_error(codes: frozenset[Any], text: str, where: str) -> StepError:
    if _transient(codes) or any(phrase in text.lower() for phrase in UNREACHABLE):
        return StepError(f"could not reach {where}: {text}", ErrorKind.TRANSIENT)
    return StepError(f"{where} refused the connection: {text}", ErrorKind.SQL)


def _transient(codes: frozenset[Any]) -> bool:
    """A listed code, or SQLSTATE class 08 (connection exception)."""
    return bool(codes & TRANSIENT) or any(isinstance(code, str) and code[:2] == "08" for code in codes)


def _codes(orig: BaseException | None) -> frozenset[Any]:
    """The SQLSTATE (psycopg, PyMySQL), the MariaDB error number and the SQLite result code name."""
    args: tuple[Any, ...] = getattr(orig, "args", ())
    errno = args[0] if args and isinstance(args[0], int) else None
    found = (getattr(orig, "sqlstate", None), getattr(orig, "sqlite_errorname", None), errno)
    return frozenset(code for code in found if code)


def _text(exc: BaseException | None) -> str:
    diag = getattr(exc, "diag", None)
    if diag is not None and diag.message_primary:  # psycopg: its text quotes the SQL it was sent
        return diag.message_primary + (f" (hint: {diag.message_hint})" if diag.message_hint else "")
    args: tuple[Any, ...] = getattr(exc, "args", ())
    if len(args) == 2 and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return str(args[1])
    return BACKGROUND.sub("", " ".join(str(exc).split())) or type(exc).__name__


def _masked(text: str, url: URL) -> str:
    return text.replace(url.password, "***") if url.password else text
