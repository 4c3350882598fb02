"""Helpers for the sandbox tests: real programs in real subprocesses, nothing mocked."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from engine.errors import StepError
from engine.sandbox.base import Limits, Program, Sandbox


async def fails(sandbox: Sandbox, source: str, inputs: Any = None, **limits: Any) -> StepError:
    """The StepError running `source` raises (the test fails if it returns a value)."""
    with pytest.raises(StepError) as caught:
        value = await sandbox.run(Program(source, inputs, Limits(**limits)))
        pytest.fail(f"the program succeeded with {value!r}")
    return caught.value


async def timed_failure(sandbox: Sandbox, source: str, **limits: Any) -> tuple[StepError, float]:
    started = time.monotonic()
    error = await fails(sandbox, source, **limits)
    return error, time.monotonic() - started


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below `pid` (this test process by default), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid or os.getpid()]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


async def wait_until(predicate, timeout: float = 10.0) -> None:
    """Poll `predicate` while the event loop goes on running the program."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await asyncio.sleep(0.01)
