"""`set`: compute named values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from ..language.base import described
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class SetStep(Step):
    template_fields: ClassVar = frozenset({"values"})

    type: Literal["set"] = described("Step type.")
    values: dict[str, Any] = Field(min_length=1, description="Name -> value or expression.")

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        return {name: ctx.render(value) for name, value in self.values.items()}
