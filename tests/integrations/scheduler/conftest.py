"""A scheduler on a test's own Loom, with a clock the test moves (cron is 5-field: no waiting for minutes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from integrations.context import Loom
from integrations.scheduler import Scheduler


class FakeClock:
    def __init__(self, now: str = "2026-03-27T05:59:00+00:00") -> None:
        self.now = datetime.fromisoformat(now)

    def set(self, now: str) -> None:
        self.now = datetime.fromisoformat(now)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


StartScheduler = Callable[..., Awaitable[Scheduler]]


@pytest.fixture
async def start_scheduler(clock: FakeClock) -> AsyncIterator[StartScheduler]:
    """Starts schedulers (default: on the test's clock, its loop asleep unless woken); stops them after."""
    started: list[tuple[Scheduler, Loom]] = []

    async def start(loom: Loom, **options: Any) -> Scheduler:
        options.setdefault("clock", clock)
        options.setdefault("max_sleep", 3600)
        scheduler = Scheduler(**options)
        await scheduler.start(loom)
        started.append((scheduler, loom))
        return scheduler

    yield start
    for scheduler, loom in reversed(started):
        await scheduler.stop()
        await loom.runner.close()


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 5.0, what: str = "the condition") -> Any:
    """Polls `check` until it returns something true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last: {value!r})")
        await asyncio.sleep(0.02)
