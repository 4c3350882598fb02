"""Running coroutines together and failing as one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from .errors import RunFailed, Suspended


async def gather_failing_fast(awaitables: list[Awaitable[Any]]) -> list[Any]:
    """Results in order; the first failure cancels the rest and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_wrap(a)) for a in awaitables]
    except BaseExceptionGroup as group_error:
        raise _most_telling(group_error) from None
    return [task.result() for task in tasks]


async def _wrap(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _most_telling(group: BaseExceptionGroup) -> BaseException:
    leaves = list(_leaves(group))
    for kind in (RunFailed, Suspended):
        for error in leaves:
            if isinstance(error, kind):
                return error
    return leaves[0]


def _leaves(group: BaseExceptionGroup):
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error
