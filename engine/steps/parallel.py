"""`parallel`: run named branches at once; only the join waits for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..concurrency import gather_failing_fast
from ..language.base import IDENTIFIER, described
from .base import Block, Step, StepList
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class ParallelStep(Step):

    type: Literal["parallel"] = described("Step type.")
    branches: dict[Annotated[str, Field(pattern=IDENTIFIER)], StepList] = Field(
        min_length=1, description="Branch name -> the steps of that branch."
    )

    def children(self) -> Iterator[Block]:
        for name, steps in self.branches.items():
            yield Block(("branches", name), steps)
        yield from super().children()

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        scopes = {name: ctx.child_scope() for name in self.branches}
        try:
            results = await gather_failing_fast(
                [ctx.run_block(steps, scopes[name]) for name, steps in self.branches.items()]
            )
        finally:
            for scope in scopes.values():  # after the join, every branch's results are readable
                ctx.scope["steps"].update(scope["steps"].maps[0])
        return dict(zip(self.branches, results, strict=True))
