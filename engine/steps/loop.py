"""`loop`: run the body again until `until` holds, at most `max_iterations` times."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..language.base import Expression, described
from .base import Block, Step, StepList
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class LoopStep(Step):
    expression_fields: ClassVar = frozenset({"when", "until"})

    type: Literal["loop"] = described("Step type.")
    steps: StepList = described("The body, run once per pass.")
    until: Expression | None = described(
        "Expression checked after each pass; the loop ends when it is true.", default=None
    )
    max_iterations: int = described("Most passes; required so no loop runs forever.", ge=1, le=100_000)

    def children(self) -> Iterator[Block]:
        yield Block(("steps",), self.steps, frozenset({"index"}))
        yield from super().children()

    def field_binds(self, field: str) -> frozenset[str]:
        return frozenset({"index"}) if field == "until" else frozenset()

    async def execute(self, ctx: StepContext) -> Any:
        last = None
        for index in range(self.max_iterations):
            scope = ctx.child_scope(index=index)
            last = await ctx.run_block(self.steps, scope, f"{ctx.key}[{index}]/")
            ctx.scope["steps"].update(scope["steps"].maps[0])  # later steps read the last pass
            if self.until is not None and ctx.expression_in(self.until, scope):
                break
        return last
