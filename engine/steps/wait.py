"""`wait`: pause the run for a while."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..language.base import Duration, described
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class WaitStep(Step):

    type: Literal["wait"] = described("Step type.")
    duration: Duration = described("How long to wait.", examples=["5s", "10m"])

    async def execute(self, ctx: StepContext) -> None:
        import asyncio

        if not ctx.services.testing:  # a test of a workflow that waits an hour takes no hour
            await asyncio.sleep(self.duration)
