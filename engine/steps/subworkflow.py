"""`workflow`: run a saved workflow as a child run and use its outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..language.base import SLUG, described
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class WorkflowStep(Step):
    template_fields: ClassVar = frozenset({"inputs"})

    type: Literal["workflow"] = described("Step type.")
    workflow: str = described("Name of the saved workflow to run.", pattern=SLUG)
    inputs: dict[str, Any] = described("Inputs of the child run; values may be expressions.", default_factory=dict)

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        from ..errors import StepError, ValidationError, WorkflowNotFound
        from ..runtime import resume, run

        resolver = ctx.services.resolve_workflow
        if resolver is None:
            raise StepError(f"cannot find workflow '{self.workflow}': no workflow library is configured", "error")
        try:
            child = resolver(self.workflow)
        except (WorkflowNotFound, ValidationError) as exc:
            raise StepError(str(exc), "error") from None
        inputs = ctx.render(self.inputs)
        child_id = f"{ctx.run_id}.{ctx.key.replace('/', '.')}"  # stable, so a resume finds the child again
        existing = await ctx.services.store.get_run(child_id)
        if existing is None:
            result = await run(child, inputs, services=ctx.services, run_id=child_id, parent_run_id=ctx.run_id,
                               trigger=ctx.trigger, inherited_listeners=ctx.inherited_listeners)
        elif existing.status in ("succeeded", "failed"):
            return _child_outputs(self.workflow, existing.status, existing.outputs, existing.error)
        else:
            result = await resume(child_id, services=ctx.services,
                                  inherited_listeners=ctx.inherited_listeners)
        return _child_outputs(self.workflow, result.status, result.outputs, result.error)


def _child_outputs(name: str, status: str, outputs: dict[str, Any], error: dict[str, Any] | None) -> dict[str, Any]:
    from ..errors import StepError, Suspended

    if status == "waiting":
        raise Suspended(f"child workflow '{name}' waits for an approval")
    if status != "succeeded":
        raise StepError(f"child workflow '{name}' failed: {(error or {}).get('message', status)}", "child")
    return outputs
