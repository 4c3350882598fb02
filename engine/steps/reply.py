"""`reply`: answer on the channel that triggered the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from ..language.base import described
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class ReplyStep(Step):
    template_fields: ClassVar = frozenset({"text"})

    type: Literal["reply"] = described("Step type.")
    text: str = described("The reply; a template.")

    async def execute(self, ctx: StepContext) -> dict[str, str]:
        text = ctx.render(self.text)
        text = text if isinstance(text, str) else str(text)
        ctx.reply(text)
        return {"text": text}
