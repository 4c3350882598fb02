"""`workflow`: run a saved workflow as a child run and use its outputs."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from ..language.base import SLUG, described
from .base import Step
from .registry import register_step_type


@register_step_type
class WorkflowStep(Step):
    template_fields: ClassVar = frozenset({"inputs"})

    type: Literal["workflow"] = described("Step type.")
    workflow: str = described("Name of the saved workflow to run.", pattern=SLUG)
    inputs: dict[str, Any] = described("Inputs of the child run; values may be expressions.", default_factory=dict)
