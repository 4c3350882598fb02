"""`for_each`: run the body once per item, up to `concurrency` at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..concurrency import gather_failing_fast
from ..errors import StepError
from ..language.base import IDENTIFIER, Expression, described
from .base import Block, Step, StepList
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class ForEachStep(Step):
    expression_fields: ClassVar = frozenset({"when", "items", "output"})

    type: Literal["for_each"] = described("Step type.")
    items: Expression | list[Any] = described(
        "Expression giving the list to iterate over (or a literal list).",
        examples=["${{ steps.search.output.json.results }}"],
    )
    as_: str = described(
        "Name of the loop variable in the body.", default="item", alias="as", pattern=IDENTIFIER
    )
    concurrency: int = described("Items processed at once.", default=1, ge=1, le=1000)
    steps: StepList = described("The body, run once per item.")
    output: Expression | None = described(
        "Expression evaluated per item after the body; default the body's last output.",
        default=None,
    )

    def children(self) -> Iterator[Block]:
        yield Block(("steps",), self.steps, frozenset({self.as_, "index"}))
        yield from super().children()

    def field_binds(self, field: str) -> frozenset[str]:
        return frozenset({self.as_, "index"}) if field == "output" else frozenset()

    async def execute(self, ctx: StepContext) -> list[Any]:
        items = ctx.expression(self.items) if isinstance(self.items, str) else ctx.render(self.items)
        if not isinstance(items, list):
            raise StepError(f"`items` must give a list, got {type(items).__name__}", "expression")
        limit = asyncio.Semaphore(self.concurrency)

        async def one(index: int, item: Any) -> Any:
            async with limit:
                scope = ctx.child_scope(**{self.as_: item, "index": index})
                last = await ctx.run_block(self.steps, scope, f"{ctx.key}[{index}]/")
                return ctx.expression_in(self.output, scope) if self.output else last

        if self.concurrency == 1:
            return [await one(i, item) for i, item in enumerate(items)]
        return await gather_failing_fast([one(i, item) for i, item in enumerate(items)])
