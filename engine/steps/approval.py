"""`approval`: wait, durably and across restarts, for a person to approve or reject."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..language.base import described
from .base import Step
from .registry import register_step_type


@register_step_type
class ApprovalStep(Step):
    template_fields: ClassVar = frozenset({"message"})

    type: Literal["approval"] = described("Step type.")
    message: str = described("What the approver is asked.")
    approvers: list[str] = described(
        "Who may answer (user ids or names); anyone with access when empty.", default_factory=list
    )
