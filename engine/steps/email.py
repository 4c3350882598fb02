"""`email`: send an email over SMTP."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..language.base import described
from .base import Step
from .registry import register_step_type


@register_step_type
class EmailStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"to", "subject", "body"})
    secret_fields: ClassVar = frozenset({"to"})

    type: Literal["email"] = described("Step type.")
    to: str | list[str] = described("Recipient address(es).", examples=["team@example.org"])
    subject: str = described("Subject line; a template.")
    body: str = described("Plain-text body; a template.")
