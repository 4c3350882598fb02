"""Persistence of sessions, messages, versions, repair attempts and settings.

Calls are short blocking transactions like the engine's `SqlStore`; a whole turn is
written in one transaction, so a crash never leaves half a turn behind.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, select, update

from engine.runtime.store.sql import utc

from .migrations import CHATBUILDER
from .tables import attempts, messages, sessions, settings, versions
from .types import Attempt, Capabilities, ChangeSummary, Message, SessionInfo, SessionNotFound, Version


@dataclass(frozen=True)
class TurnRecord:
    """What one turn writes: the user's text, every attempt, the answer and perhaps a version."""

    text: str
    reply: str
    attempts: list[Attempt]
    version: Version | None


class BuilderStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _begin(self):
        CHATBUILDER.upgrade(self.engine)
        return self.engine.begin()

    # ---- sessions ----------------------------------------------------------------------

    def create_session(self, title: str) -> SessionInfo:
        now = _now()
        session_id = uuid.uuid4().hex
        with self._begin() as conn:
            conn.execute(insert(sessions).values(id=session_id, title=title, created_at=now, updated_at=now))
        return SessionInfo(session_id, title, now, now, None)

    def sessions(self) -> list[SessionInfo]:
        with self._begin() as conn:
            rows = conn.execute(_session_query().order_by(sessions.c.updated_at.desc(), sessions.c.id)).all()
        return [_session(row) for row in rows]

    def session(self, session_id: str, conn: Connection | None = None) -> SessionInfo:
        if conn is None:
            with self._begin() as conn:
                return self.session(session_id, conn)
        row = conn.execute(_session_query().where(sessions.c.id == session_id)).first()
        if row is None:
            raise SessionNotFound(f"no builder session with id '{session_id}'")
        return _session(row)

    def rename(self, session_id: str, title: str) -> None:
        with self._begin() as conn:
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(title=title))

    # ---- messages and versions ---------------------------------------------------------

    def messages(self, session_id: str) -> list[Message]:
        with self._begin() as conn:
            self.session(session_id, conn)
            rows = conn.execute(select(messages.c.role, messages.c.content, messages.c.created_at,
                                       messages.c.version)
                                .where(messages.c.session_id == session_id).order_by(messages.c.id)).all()
        return [Message(role, content, utc(at), version) for role, content, at, version in rows]

    def versions(self, session_id: str) -> list[Version]:
        with self._begin() as conn:
            self.session(session_id, conn)
            rows = conn.execute(select(versions).where(versions.c.session_id == session_id)
                                .order_by(versions.c.number)).all()
        return [_version(row) for row in rows]

    def version(self, session_id: str, number: int | None = None) -> Version | None:
        """Version `number`, or the newest with None; raises SessionNotFound for a missing number."""
        with self._begin() as conn:
            self.session(session_id, conn)
            query = select(versions).where(versions.c.session_id == session_id)
            query = (query.where(versions.c.number == number) if number is not None
                     else query.order_by(versions.c.number.desc()).limit(1))
            row = conn.execute(query).first()
        if row is None and number is not None:
            raise SessionNotFound(f"session '{session_id}' has no version {number}")
        return _version(row) if row is not None else None

    def context(self, session_id: str) -> tuple[SessionInfo, Version | None, list[Message]]:
        """What a turn starts from, in one read: the session, its newest version and its messages."""
        with self._begin() as conn:
            session = self.session(session_id, conn)
            row = conn.execute(select(versions).where(versions.c.session_id == session_id)
                               .order_by(versions.c.number.desc()).limit(1)).first()
            rows = conn.execute(select(messages.c.role, messages.c.content, messages.c.created_at,
                                       messages.c.version)
                                .where(messages.c.session_id == session_id).order_by(messages.c.id)).all()
        return (session, _version(row) if row is not None else None,
                [Message(role, content, utc(at), version) for role, content, at, version in rows])

    def attempts(self, session_id: str) -> list[Attempt]:
        with self._begin() as conn:
            rows = conn.execute(select(attempts.c.number, attempts.c.reply, attempts.c.yaml, attempts.c.errors)
                                .where(attempts.c.session_id == session_id).order_by(attempts.c.id)).all()
        return [Attempt(number, reply, text, json.loads(errors)) for number, reply, text, errors in rows]

    def add_version(self, session_id: str, version: Version, conn: Connection | None = None) -> Version:
        """Store `version` as the next number of the session; returns it with that number."""
        if conn is None:
            with self._begin() as conn:
                return self.add_version(session_id, version, conn)
        now = _now()
        number = (conn.execute(select(func.max(versions.c.number)).where(versions.c.session_id == session_id))
                  .scalar() or 0) + 1
        version = Version(number, version.yaml, version.source, now, version.diff, version.changes,
                          version.capabilities)
        conn.execute(insert(versions).values(
            session_id=session_id, number=number, yaml=version.yaml, source=version.source, diff=version.diff,
            changes=json.dumps(version.changes.to_dict()), capabilities=json.dumps(version.capabilities.to_dict()),
            created_at=now))
        conn.execute(update(sessions).where(sessions.c.id == session_id).values(updated_at=now))
        return version

    def record_turn(self, session_id: str, record: TurnRecord) -> Version | None:
        """Write a whole turn in one transaction; returns the stored version, if any."""
        with self._begin() as conn:
            self.session(session_id, conn)
            now = _now()
            message_id = conn.execute(insert(messages).values(
                session_id=session_id, role="user", content=record.text, created_at=now)).inserted_primary_key[0]
            if record.attempts:
                conn.execute(insert(attempts), [
                    {"session_id": session_id, "message_id": message_id, "number": a.number, "reply": a.reply,
                     "yaml": a.yaml, "errors": json.dumps(a.errors), "valid": not a.errors, "created_at": now}
                    for a in record.attempts])
            version = self.add_version(session_id, record.version, conn) if record.version else None
            conn.execute(insert(messages).values(session_id=session_id, role="assistant", content=record.reply,
                                                 version=version.number if version else None, created_at=_now()))
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(updated_at=_now()))
        return version

    # ---- settings ----------------------------------------------------------------------

    def read_settings(self) -> dict[str, str | None]:
        """Every saved setting; a key saved as None is present with None."""
        with self._begin() as conn:
            return dict(conn.execute(select(settings.c.key, settings.c.value)).all())

    def set_settings(self, values: dict[str, str | None]) -> None:
        with self._begin() as conn:
            for key, value in values.items():
                self._set(conn, key, value)

    @staticmethod
    def _set(conn: Connection, key: str, value: str | None) -> None:
        if conn.execute(update(settings).where(settings.c.key == key).values(value=value)).rowcount == 0:
            conn.execute(insert(settings).values(key=key, value=value))


def _session_query():
    newest = (select(func.max(versions.c.number)).where(versions.c.session_id == sessions.c.id)
              .correlate(sessions).scalar_subquery())
    return select(sessions.c.id, sessions.c.title, sessions.c.created_at, sessions.c.updated_at, newest)


def _session(row) -> SessionInfo:
    session_id, title, created_at, updated_at, version = row
    return SessionInfo(session_id, title, utc(created_at), utc(updated_at), version)


def _version(row) -> Version:
    caps = json.loads(row.capabilities)
    new = caps.pop("new", None)
    return Version(row.number, row.yaml, row.source, utc(row.created_at), row.diff,
                   ChangeSummary(**json.loads(row.changes)),
                   Capabilities(**caps, new=Capabilities(**new) if new is not None else None))




def _now() -> datetime:
    return datetime.now(UTC)
