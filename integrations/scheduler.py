"""Cron triggers and approval timeouts: the server's clock-driven work.

The `schedules` table mirrors the cron triggers of every saved, enabled workflow (synced at
start, on each catalog change in this process, and every minute for changes made by other
processes) and holds each one's next fire time. The loop sleeps until the next due time
(at most `max_sleep` seconds, woken early by catalog changes) and then fires what is due.

Exactly once per due time, with any number of processes on one database: a process fires a
schedule only if its `UPDATE ... WHERE next_fire_at = <the due time it read>` changed the
row; every other process's update finds the time already moved on and changes nothing.

Missed firings (the app was down): `LOOM_CRON_CATCH_UP=latest` (default) runs the most
recent missed slot once, however many were missed; `skip` runs none. A firing less than
`grace` (one minute) late is on time, not missed.

Time zones: the cron expression is read in the trigger's zone on the wall clock. A time that
a DST change skips fires when the clock jumps (02:30 fires at 03:00); a time that occurs twice
fires once, at its first occurrence, unless the hour field is `*` (every hour keeps its
real-time cadence through the repeated hour).

Approval timeouts: an `approval` step with a `timeout` journals its `expires_at`; runs
waiting past it are claimed (`store.claim_waiting`: `UPDATE ... WHERE status='waiting'`, so one
process resumes each) and resumed, and the step then times out as the workflow says.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import LoomError, ValidationError, WorkflowNotFound
from engine.language.triggers import CronTrigger
from engine.runtime.events import Event, RunFinished
from engine.runtime.store.tables import runs, steps

from .migrations import INTEGRATIONS
from .tables import schedules

if TYPE_CHECKING:
    from engine.catalog import SavedWorkflow

    from .context import Loom

log = logging.getLogger("loomwork.scheduler")

CATCH_UP = ("latest", "skip")
Clock = Callable[[], datetime]


# ---- when a schedule fires ------------------------------------------------------------------

_MARGIN = timedelta(hours=3)  # more than any zone's DST shift (2 h at Antarctica/Troll)


def next_fire(cron: str, timezone: str, after: datetime) -> datetime | None:
    """The first firing strictly after `after`, in UTC; None for an expression that never matches."""
    return _nearest(cron, ZoneInfo(timezone), _utc(after), forward=True)


def last_fire(cron: str, timezone: str, at: datetime) -> datetime | None:
    """The latest firing at or before `at`, in UTC."""
    return _nearest(cron, ZoneInfo(timezone), _utc(at), forward=False)


def _nearest(cron: str, zone: ZoneInfo, moment: datetime, *, forward: bool) -> datetime | None:
    # croniter walks naive wall-clock times; mapping each to instants here is what makes DST
    # right (croniter's own zone handling fires a daily 02:30 twice when clocks go back).
    wall = _wall(moment, zone)
    every_hour = cron.split()[1] in ("*", "*/1")
    if (moment - _MARGIN).astimezone(zone).utcoffset() == (moment + _MARGIN).astimezone(zone).utcoffset():
        # No DST change near `moment`: the first wall time on the right side is the answer.
        try:
            local = croniter(cron, wall).get_next(datetime) if forward else \
                croniter(cron, wall + timedelta(seconds=1)).get_prev(datetime)
        except CroniterBadDateError:
            return None
        instants = _instants(local, zone, every_hour)
        return instants[0] if forward else instants[-1]
    walls = croniter(cron, wall - _MARGIN if forward else wall + _MARGIN)
    best: datetime | None = None
    try:
        while True:
            local = walls.get_next(datetime) if forward else walls.get_prev(datetime)
            if best is not None and abs(local - _wall(best, zone)) > _MARGIN:
                return best
            for instant in _instants(local, zone, every_hour):
                fits = instant > moment if forward else instant <= moment
                if fits and (best is None or (instant < best) == forward):
                    best = instant
    except CroniterBadDateError:  # e.g. "0 0 30 2 *": no 30th of February
        return best


def _instants(local: datetime, zone: ZoneInfo, every_hour: bool) -> list[datetime]:
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if _wall(first, zone) != local:  # skipped by a DST gap: fire when the clock jumps over it
        return [_jump(min(first, second), max(first, second), local, zone)]
    return [first, second] if every_hour and first != second else [first]


def _jump(lo: datetime, hi: datetime, local: datetime, zone: ZoneInfo) -> datetime:
    """The instant the wall clock jumps past `local`, between `lo` (before) and `hi` (after)."""
    low, high = int(lo.timestamp()), int(hi.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), zone) > local:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one written here is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- the component --------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    workflow: str
    trigger: str
    cron: str
    timezone: str
    inputs: dict[str, Any]
    next_fire_at: datetime | None
    last_fired_at: datetime | None


class Scheduler:
    """Fires cron triggers and expires approvals; a server component (`start(loom)`, `stop()`)."""

    def __init__(self, *, catch_up: str = "latest", clock: Clock | None = None, max_sleep: float = 30.0,
                 resync_every: float = 60.0, grace: timedelta = timedelta(minutes=1)) -> None:
        if catch_up not in CATCH_UP:
            raise ValueError(f"LOOM_CRON_CATCH_UP must be 'latest' or 'skip', not {catch_up!r}")
        self.catch_up = catch_up
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.max_sleep = max_sleep
        self.resync_every = resync_every
        self.grace = grace
        self.loom: Loom | None = None
        self._known: dict[str, tuple[int, bool]] = {}  # workflow -> (version, enabled) last synced
        self._lock = threading.Lock()  # catalog changes arrive on whatever thread saved
        self._deadlines: dict[tuple[str, str], datetime | None] = {}
        self._approval_due: datetime | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self, loom: Loom) -> None:
        self.loom = loom
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        INTEGRATIONS.upgrade(loom.store.engine)
        loom.catalog.subscribe(self._catalog_changed)
        self.sync()
        loom.runner.listeners.append(self._run_event)
        self._task = asyncio.create_task(self._run(), name="loom-scheduler")

    async def stop(self) -> None:
        if self.loom is not None:
            with contextlib.suppress(ValueError):
                self.loom.catalog.listeners.remove(self._catalog_changed)
            with contextlib.suppress(ValueError):
                self.loom.runner.listeners.remove(self._run_event)
        if self._task is not None:
            # Let a tick in progress finish: cancelled between its claim and its run, a firing is lost.
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    def wake(self) -> None:
        """Look at the schedules again now (safe from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    # ---- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        synced = self._loop.time()
        while not self._stopping:
            self._wake.clear()  # before the tick, so a wake-up during it is not lost
            try:
                if self._loop.time() - synced >= self.resync_every:
                    self.sync()
                    synced = self._loop.time()
                await self.tick()
                delay = self._sleep_for()
            except Exception:  # a database hiccup must not stop cron for good: log, retry soon
                log.exception("the scheduler's tick failed")
                delay = self.max_sleep
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def tick(self) -> list[str]:
        """Fire every due schedule and resume every run whose approval expired; the runs started."""
        return [*await self.fire_due(), *await self.expire_approvals()]

    def _sleep_for(self) -> float:
        with self._begin() as conn:
            due = conn.execute(select(schedules.c.next_fire_at).where(schedules.c.next_fire_at.is_not(None))
                               .order_by(schedules.c.next_fire_at).limit(1)).scalar()
        soonest = [_utc(due)] if due is not None else []
        if self._approval_due is not None:
            soonest.append(self._approval_due)
        delays = [(moment - self.clock()).total_seconds() for moment in soonest]
        return max(0.0, min([self.max_sleep, *delays]))

    def _catalog_changed(self, name: str) -> None:
        try:
            self.sync(name)
        except Exception:  # never fail the save that notified us; the periodic resync catches up
            log.exception("syncing the schedules of '%s' failed", name)
        self.wake()

    def _run_event(self, event: Event) -> None:
        if isinstance(event, RunFinished) and event.status == "waiting":
            self.wake()  # it may wait for an approval with a timeout

    # ---- the schedules table ----------------------------------------------------------------

    def sync(self, name: str | None = None) -> None:
        """Bring `schedules` in line with the catalog: one workflow, or all of them."""
        catalog = self._require().catalog
        with self._lock:
            if name is not None:
                self._sync_one(name)
                return
            known: dict[str, tuple[int, bool]] = {}
            for saved in _every_saved(catalog):
                known[saved.name] = (saved.version, saved.enabled)
                if self._known.get(saved.name) != known[saved.name]:
                    self._apply(saved.name, _cron_triggers(saved))
            self._known = known
            with self._begin() as conn:
                scheduled = set(conn.execute(select(schedules.c.workflow).distinct()).scalars())
            for gone in scheduled - known.keys():
                self._sync_one(gone)  # asks again: it may have been saved since the listing

    def _sync_one(self, name: str) -> None:
        try:
            saved = self._require().catalog.get(name)
        except WorkflowNotFound:
            self._known.pop(name, None)
            self._apply(name, {})
            return
        self._known[name] = (saved.version, saved.enabled)
        self._apply(name, _cron_triggers(saved))

    def _apply(self, name: str, desired: dict[str, CronTrigger]) -> None:
        now = self.clock()
        with self._begin() as conn:
            rows = {r.trigger: r for r in conn.execute(select(schedules).where(schedules.c.workflow == name))}
            if rows.keys() - desired.keys():
                conn.execute(delete(schedules).where(schedules.c.workflow == name,
                                                     schedules.c.trigger.not_in(list(desired))))
        # One short transaction per write, no read before it: SQLite cannot upgrade a read
        # transaction to a write one while another process writes.
        for key, trigger in desired.items():
            inputs = json.dumps(trigger.inputs, sort_keys=True)
            row = rows.get(key)
            here = (schedules.c.workflow == name, schedules.c.trigger == key)
            values = {"cron": trigger.schedule, "timezone": trigger.timezone, "inputs": inputs, "updated_at": now}
            if row is None:
                with contextlib.suppress(IntegrityError), self._begin() as conn:  # another process was first
                    conn.execute(insert(schedules).values(
                        workflow=name, trigger=key, next_fire_at=next_fire(trigger.schedule, trigger.timezone, now),
                        **values))
            elif (row.cron, row.timezone) != (trigger.schedule, trigger.timezone):
                with self._begin() as conn:
                    conn.execute(update(schedules).where(*here).values(
                        next_fire_at=next_fire(trigger.schedule, trigger.timezone, now), **values))
            elif row.inputs != inputs:
                with self._begin() as conn:
                    conn.execute(update(schedules).where(*here).values(inputs=inputs, updated_at=now))

    def schedules(self, workflow: str | None = None) -> list[Schedule]:
        query = select(schedules).order_by(schedules.c.workflow, schedules.c.trigger)
        if workflow is not None:
            query = query.where(schedules.c.workflow == workflow)
        with self._begin() as conn:
            return [Schedule(r.workflow, r.trigger, r.cron, r.timezone, json.loads(r.inputs),
                             r.next_fire_at and _utc(r.next_fire_at), r.last_fired_at and _utc(r.last_fired_at))
                    for r in conn.execute(query)]

    # ---- firing -----------------------------------------------------------------------------

    async def fire_due(self) -> list[str]:
        """Start a run for every schedule due now that this process wins; their run ids."""
        now = self.clock()
        with self._begin() as conn:
            due = conn.execute(select(schedules).where(schedules.c.next_fire_at <= now)
                               .order_by(schedules.c.next_fire_at).limit(500)).all()
        started = [await self._fire(row, now) for row in due]
        return [run_id for run_id in started if run_id is not None]

    async def _fire(self, row: Any, now: datetime) -> str | None:
        current = self._current(row)
        if current is None:  # the catalog changed under this row (maybe in another process)
            self.sync(row.workflow)
            return None
        workflow, trigger = current
        slot = max(_utc(row.next_fire_at), last_fire(row.cron, row.timezone, now) or now)
        fire = self.catch_up == "latest" or now - slot <= self.grace
        claimed = {"next_fire_at": next_fire(row.cron, row.timezone, now), "updated_at": now}
        if fire:
            claimed["last_fired_at"] = slot
        with self._begin() as conn:
            won = conn.execute(update(schedules).where(
                schedules.c.workflow == row.workflow, schedules.c.trigger == row.trigger,
                schedules.c.next_fire_at == row.next_fire_at).values(**claimed)).rowcount == 1
        if not won:
            return None
        if not fire:
            log.info("skipped the missed %s firing of %s (LOOM_CRON_CATCH_UP=skip)", slot.isoformat(), row.workflow)
            return None
        scheduled_for = slot.astimezone(ZoneInfo(row.timezone)).isoformat()
        cause = {"channel": "cron", "user": None, "chat_id": None, "text": None, "scheduled_for": scheduled_for,
                 "schedule": row.cron, "timezone": row.timezone}
        try:
            return await self._require().runner.start(workflow, trigger.inputs, trigger=cause)
        except LoomError as exc:
            log.error("cron trigger %s of '%s' could not start a run: %s", row.trigger, row.workflow, exc)
            return None

    def _current(self, row: Any) -> tuple[Any, CronTrigger] | None:
        """The workflow to run for `row`, if the catalog still has this trigger, enabled, unchanged."""
        try:
            saved = self._require().catalog.get(row.workflow)
        except WorkflowNotFound:
            return None
        trigger = _cron_triggers(saved).get(row.trigger)
        if trigger is None or (trigger.schedule, trigger.timezone) != (row.cron, row.timezone):
            return None
        return saved.workflow, trigger

    # ---- approval timeouts ------------------------------------------------------------------

    async def expire_approvals(self) -> list[str]:
        """Resume every waiting run whose approval timed out (and this process claimed)."""
        loom = self._require()
        now = self.clock()
        query = (select(steps.c.run_id, steps.c.key, steps.c.step_id, steps.c.output)
                 .join(runs, runs.c.run_id == steps.c.run_id)
                 .where(runs.c.status == "waiting", steps.c.status == "waiting", steps.c.type == "approval"))
        with loom.store.engine.begin() as conn:
            waiting = conn.execute(query).all()
        deadlines = {(r.run_id, r.key): await self._deadline(r) for r in waiting}
        self._deadlines = deadlines
        expired = {run_id for (run_id, _), at in deadlines.items() if at is not None and at <= now}
        pending = [at for at in deadlines.values() if at is not None and at > now]
        self._approval_due = min(pending, default=None)
        resumed = []
        for run_id in sorted(expired):
            if not await loom.store.claim_waiting(run_id):
                continue
            try:
                resumed.append(await loom.runner.resume(run_id))
            except LoomError as exc:
                log.error("run %s could not be resumed after its approval timed out: %s", run_id, exc)
        return resumed

    async def _deadline(self, row: Any) -> datetime | None:
        known = self._deadlines.get((row.run_id, row.key), False)
        if known is not False:
            return known
        request = row.output if isinstance(row.output, dict) else {}
        if request.get("expires_at"):
            return _utc(datetime.fromisoformat(request["expires_at"]))
        # Journaled before approvals recorded `expires_at`: read the timeout from the run's workflow.
        from engine.loader import loads

        record = await self._require().store.get_run(row.run_id)
        try:
            step = loads(record.source, f"<run {row.run_id}>").step(row.step_id)
        except ValidationError:
            return None
        if step is None or step.timeout is None or not request.get("requested_at"):
            return None
        return _utc(datetime.fromisoformat(request["requested_at"])) + timedelta(seconds=step.timeout)

    # ---- plumbing ---------------------------------------------------------------------------

    def _require(self) -> Loom:
        if self.loom is None:
            raise RuntimeError("the scheduler is not started")
        return self.loom

    def _begin(self):
        engine = self._require().store.engine
        INTEGRATIONS.upgrade(engine)
        return engine.begin()


def _cron_triggers(saved: SavedWorkflow) -> dict[str, CronTrigger]:
    """An enabled workflow's cron triggers by their position among its triggers."""
    if not saved.enabled:
        return {}
    try:
        triggers = saved.workflow.triggers
    except ValidationError as exc:  # saved by an older version of the language checks
        log.error("saved workflow '%s' no longer loads, its schedules are off: %s", saved.name, exc)
        return {}
    return {str(i): t for i, t in enumerate(triggers) if isinstance(t, CronTrigger)}


def _every_saved(catalog: Any, page: int = 500) -> Iterator[SavedWorkflow]:
    offset = 0
    while True:
        batch = catalog.list(limit=page, offset=offset)
        yield from batch
        if len(batch) < page:
            return
        offset += page


def component(settings: Any) -> Scheduler:
    return Scheduler(catch_up=settings.cron_catch_up)


__all__ = ["CATCH_UP", "Schedule", "Scheduler", "component", "last_fire", "next_fire"]
