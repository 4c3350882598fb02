"""`if`: run `then` when the condition holds, `else` otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..language.base import Expression, described
from .base import Block, OptionalStepList, Step, StepList
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class IfStep(Step):
    expression_fields: ClassVar = frozenset({"when", "condition"})

    type: Literal["if"] = described("Step type.")
    condition: Expression = described(
        "Expression deciding the branch.", examples=["${{ steps.fetch.output.status == 200 }}"]
    )
    then: StepList = described("Steps run when the condition is true.")
    else_: OptionalStepList = described(
        "Steps run when the condition is false.", default_factory=list, alias="else"
    )

    def children(self) -> Iterator[Block]:
        yield Block(("then",), self.then)
        if self.else_:
            yield Block(("else",), self.else_)
        yield from super().children()

    async def execute(self, ctx: StepContext) -> Any:
        branch = self.then if ctx.expression(self.condition) else self.else_
        return await ctx.run_block(branch) if branch else None
