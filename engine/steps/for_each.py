"""`for_each`: run the body once per item, up to `concurrency` at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from ..language.base import IDENTIFIER, Expression, described
from .base import Block, Step, StepList
from .registry import register_step_type


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
