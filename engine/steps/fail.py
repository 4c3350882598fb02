"""`fail`: end the run as failed with a message."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from ..errors import StepError
from ..language.base import described
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class FailStep(Step):
    template_fields: ClassVar = frozenset({"message"})

    type: Literal["fail"] = described("Step type.")
    message: str = described("Why the run failed; may be a template.")

    async def execute(self, ctx: StepContext) -> None:
        raise StepError(str(ctx.render(self.message)), "fail")
