"""`switch`: run the steps of the first case whose `when` holds, else `default`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..language.base import Expression, LoomModel, described
from .base import Block, OptionalStepList, Step, StepList
from .registry import register_step_type, registry

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@registry.depends
class SwitchCase(LoomModel):
    """One case of a switch."""

    when: Expression = described("Expression; the first case that is true runs.")
    steps: StepList = described("Steps run for this case.")


@register_step_type
class SwitchStep(Step):

    type: Literal["switch"] = described("Step type.")
    cases: list[SwitchCase] = Field(min_length=1, description="Cases, tried in order.")
    default: OptionalStepList = described("Steps run when no case matches.", default_factory=list)

    def children(self) -> Iterator[Block]:
        for index, case in enumerate(self.cases):
            yield Block(("cases", index, "steps"), case.steps)
        if self.default:
            yield Block(("default",), self.default)
        yield from super().children()

    async def execute(self, ctx: StepContext) -> Any:
        for case in self.cases:
            if ctx.expression(case.when):
                return await ctx.run_block(case.steps)
        return await ctx.run_block(self.default) if self.default else None
