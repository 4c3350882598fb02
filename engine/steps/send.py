"""`send`: deliver a message on a channel other than the one that asked."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..language.base import described
from .base import Step
from .registry import register_step_type


@register_step_type
class SendStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"to", "text"})
    secret_fields: ClassVar = frozenset({"to"})

    type: Literal["send"] = described("Step type.")
    channel: Literal["telegram", "whatsapp", "email", "webhook"] = described("Where to send.")
    to: str = described(
        "Recipient: a Telegram chat id, a WhatsApp number, an email address or a webhook URL.",
        examples=["${{ trigger.chat_id }}", "+4915112345678"],
    )
    text: str = described("The message; a template.")
