"""`approval`: wait, durably and across restarts, for a person to approve or reject.

The first execution journals the step as `waiting` and suspends the run; the run ends
for now with status `waiting`. `engine.runtime.approve()` journals the answer as the
step's output and resumes the run, which then reads it from the journal instead of
executing the step again. A resume without an answer asks again (same request time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..errors import ErrorKind, StepError, StepStatus
from ..language.base import described, format_duration
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext


@register_step_type
class ApprovalStep(Step):
    template_fields: ClassVar = frozenset({"message"})
    own_timeout: ClassVar = True  # `timeout` bounds the wait for an answer, not one attempt

    type: Literal["approval"] = described("Step type.")
    message: str = described("What the approver is asked.")
    approvers: list[str] = described(
        "Who may answer (user ids or names); anyone with access when empty.", default_factory=list
    )

    async def execute(self, ctx: StepContext) -> Any:
        from ..runtime.events import ApprovalRequested

        requested_at = self._requested_at(ctx)
        waited = (datetime.now(UTC) - datetime.fromisoformat(requested_at)).total_seconds()
        if self.timeout is not None and waited > self.timeout:
            raise StepError(f"approval '{self.id}' was not answered within {format_duration(self.timeout)}",
                            ErrorKind.TIMEOUT)
        message = str(ctx.render(self.message))
        request = {"message": message, "approvers": list(self.approvers), "requested_at": requested_at}
        if self.timeout is not None:  # lets the server's scheduler resume the run once it expires
            expires = datetime.fromisoformat(requested_at) + timedelta(seconds=self.timeout)
            request["expires_at"] = expires.isoformat()
        await ctx.suspend(request, ApprovalRequested(ctx.run_id, self.id, ctx.key, message, list(self.approvers)),
                          f"step '{self.id}' waits for an approval")

    def _requested_at(self, ctx: StepContext) -> str:
        """When the approval was first asked for: a resume before the answer keeps the clock running."""
        previous = ctx.previous()
        if previous is not None and previous.status == StepStatus.WAITING and isinstance(previous.output, dict):
            return previous.output.get("requested_at") or datetime.now(UTC).isoformat()
        return datetime.now(UTC).isoformat()
