"""Taking a delivery exactly once: webhook `Idempotency-Key`s, Telegram `update_id`s, WhatsApp
`MessageSid`s and cron due times.

The database decides: the first insert of `(channel, key)` wins, and every concurrent or
later repeat (in this process or another on the same database) finds the first one's row,
with the run it started. A primary key does this correctly under any concurrency, where a
read-then-write check would let two racing deliveries both through.

    claim = deliveries.claim("telegram", str(update.update_id))
    if claim.first:
        run_id = await runner.start(...)
        deliveries.attach(claim, run_id)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .migrations import INTEGRATIONS
from .tables import deliveries


@dataclass(frozen=True)
class Claim:
    channel: str
    key: str
    first: bool
    """True for the delivery that inserted the row: it is the one to act on."""
    body_sha256: str | None = None
    """The first delivery's body hash (a repeat with another body is a conflict, not a repeat)."""
    run_id: str | None = None
    """The run the first delivery started, once attached (None while it is still being started)."""


class Deliveries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, channel: str, key: str, *, body_sha256: str | None = None) -> Claim:
        if not key or len(key) > 255:
            raise ValueError("a delivery key is 1 to 255 characters")
        INTEGRATIONS.upgrade(self.engine)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(deliveries).values(channel=channel, key=key, body_sha256=body_sha256,
                                                       created_at=datetime.now(UTC)))
            return Claim(channel, key, True, body_sha256)
        except IntegrityError:
            with self.engine.begin() as conn:
                row = conn.execute(select(deliveries.c.body_sha256, deliveries.c.run_id).where(
                    deliveries.c.channel == channel, deliveries.c.key == key)).first()
            if row is None:  # pruned between the two statements: take it now
                return self.claim(channel, key, body_sha256=body_sha256)
            return Claim(channel, key, False, row.body_sha256, row.run_id)

    def attach(self, claim: Claim, run_id: str) -> None:
        """Record the run a first delivery started, for the repeats to return."""
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.channel == claim.channel,
                                                  deliveries.c.key == claim.key).values(run_id=run_id))

    def release(self, claim: Claim) -> None:
        """Forget a first delivery that could not be acted on (its run failed to start), so a
        retry of it is taken again rather than answered as a repeat of nothing."""
        with self.engine.begin() as conn:
            conn.execute(delete(deliveries).where(deliveries.c.channel == claim.channel,
                                                  deliveries.c.key == claim.key))

    async def run_id(self, claim: Claim, *, timeout: float = 5.0) -> str | None:
        """A repeat's run: waits briefly while the first delivery is still starting it."""
        if claim.run_id is not None or claim.first:
            return claim.run_id
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self.engine.begin() as conn:
                row = conn.execute(select(deliveries.c.run_id).where(
                    deliveries.c.channel == claim.channel, deliveries.c.key == claim.key)).first()
            if row is None or row.run_id is not None or asyncio.get_running_loop().time() > deadline:
                return None if row is None else row.run_id
            await asyncio.sleep(0.02)

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget deliveries older than any sender retries them (Telegram: a day; Twilio: minutes)."""
        INTEGRATIONS.upgrade(self.engine)
        with self.engine.begin() as conn:
            return conn.execute(delete(deliveries).where(
                deliveries.c.created_at < datetime.now(UTC) - older_than)).rowcount


__all__ = ["Claim", "Deliveries"]
