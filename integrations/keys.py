"""API keys: shown once when created, stored only as a SHA-256 hash, revocable.

A key reads `loom_<id>_<secret>`: the id names it in listings and logs, the 32-byte secret
makes it unguessable. Because the whole key is high-entropy random, one SHA-256 is the
right hash (a slow password hash guards low-entropy secrets and would cost every request
milliseconds). Verified keys are remembered for a few seconds so a burst of webhook calls
costs one lookup; a revocation in this process forgets the key at once, one in another
process takes effect within `CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from engine.runtime.store.sql import utc

from .migrations import INTEGRATIONS
from .tables import api_keys

PREFIX = "loom_"
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "created_at": _iso(self.created_at),
                "last_used_at": _iso(self.last_used_at), "revoked_at": _iso(self.revoked_at)}


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._verified: dict[str, tuple[ApiKey, float]] = {}  # hash -> (key, when checked)

    def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key; the plaintext is returned here and never again."""
        if not name.strip() or len(name) > 128:
            raise ValueError("a key's name is 1 to 128 characters")
        key_id = secrets.token_hex(6)
        plaintext = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id, name.strip(), datetime.now(UTC))
        with self._begin() as conn:
            conn.execute(insert(api_keys).values(id=key.id, name=key.name, hash=_hash(plaintext),
                                                 created_at=key.created_at))
        return key, plaintext

    def list(self) -> list[ApiKey]:
        with self._begin() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings().all()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        with self._begin() as conn:
            revoked = conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                                   .values(revoked_at=datetime.now(UTC))).rowcount
        self._verified = {h: v for h, v in self._verified.items() if v[0].id != key_id}
        return bool(revoked)

    def verify(self, plaintext: str | None) -> ApiKey | None:
        """The active key `plaintext` is, or None."""
        if not plaintext or not plaintext.startswith(PREFIX) or len(plaintext) > 128:
            return None
        digest = _hash(plaintext)
        cached = self._verified.get(digest)
        now = time.monotonic()
        if cached is not None and now - cached[1] < CACHE_SECONDS:
            return cached[0]
        with self._begin() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.hash == digest)).mappings().first()
            if row is None or row["revoked_at"] is not None or not hmac.compare_digest(row["hash"], digest):
                self._verified.pop(digest, None)
                return None
            conn.execute(update(api_keys).where(api_keys.c.id == row["id"]).values(last_used_at=datetime.now(UTC)))
        key = _key(row)
        self._verified[digest] = (key, now)
        return key

    def _begin(self):
        INTEGRATIONS.upgrade(self.engine)
        return self.engine.begin()


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _key(row) -> ApiKey:
    return ApiKey(row["id"], row["name"], utc(row["created_at"]), utc(row["last_used_at"]),
                  utc(row["revoked_at"]))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


__all__ = ["ApiKey", "KeyStore"]
