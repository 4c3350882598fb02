"""Triggers: the doors through which a workflow is started."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import IDENTIFIER, LoomModel, described
from .patterns import compile_pattern

TELEGRAM_COMMAND = r"^[a-z0-9_]{1,32}$"


class TelegramTrigger(LoomModel):
    """Runs the workflow for a bot command such as `/digest https://example.org`."""

    type: Literal["telegram"] = described("Trigger type.")
    command: str = described(
        "The command without its slash: 1-32 lowercase letters, digits or underscores.",
        pattern=TELEGRAM_COMMAND,
        examples=["digest"],
    )
    args: list[Annotated[str, Field(pattern=IDENTIFIER)]] = described(
        "Input names filled by the command's words, in order; the last takes the rest of the line.",
        default_factory=list,
        examples=[["url"]],
    )
    description: str | None = described("Shown in the bot's command menu and /help.", default=None)

    @field_validator("command", mode="before")
    @classmethod
    def _strip_slash(cls, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("/"):
            raise ValueError(f"write the command without its slash: '{value[1:]}'")
        return value


class WhatsAppTrigger(LoomModel):
    """Runs the workflow for a WhatsApp message that matches `pattern` or starts with `command`."""

    type: Literal["whatsapp"] = described("Trigger type.")
    pattern: str | None = described(
        "An RE2 regular expression (Python syntax without backreferences or lookaround) searched in "
        "the message; named groups become inputs.",
        default=None,
        examples=[r"^digest\s+(?P<url>\S+)"],
    )
    command: str | None = described(
        "The message's first word (case-insensitive); the rest of the message fills the first input.",
        default=None,
        pattern=r"^\S+$",
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compile_pattern(value)  # its PatternError says what RE2 refused, where and why
        return value

    @model_validator(mode="after")
    def _one_of(self):
        if (self.pattern is None) == (self.command is None):
            raise ValueError("a whatsapp trigger needs exactly one of `pattern` or `command`")
        return self


class WebhookTrigger(LoomModel):
    """Runs the workflow for `POST /api/v1/workflows/{name}/runs`."""

    type: Literal["webhook"] = described("Trigger type.")
    auth: Literal["api_key", "hmac", "none"] = described(
        "api_key: a Loomwork API key; hmac: an X-Loom-Signature header; none: anyone may call it.",
        default="api_key",
    )
    secret: str | None = described(
        "With `auth: hmac`, the name of the secret that holds the signing key.",
        default=None,
        pattern=IDENTIFIER,
    )


class CronTrigger(LoomModel):
    """Runs the workflow on a schedule."""

    type: Literal["cron"] = described("Trigger type.")
    schedule: str = described(
        "A 5-field cron expression: minute hour day-of-month month day-of-week.",
        examples=["0 7 * * 1-5", "*/15 * * * *"],
    )
    timezone: str = described("An IANA time zone the schedule is read in.", default="UTC", examples=["Europe/Berlin"])
    inputs: dict[str, Any] = described("Fixed inputs of every scheduled run.", default_factory=dict)

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5:
            raise ValueError(
                f"'{value}' is not a 5-field cron expression (minute hour day month weekday), e.g. '0 7 * * 1-5'"
            )
        if not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a valid cron expression")
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: 'Europe' names a folder of zones
            raise ValueError(f"unknown time zone '{value}'; use an IANA name such as 'Europe/Berlin'") from None
        return value


TRIGGER_TYPES = {
    "telegram": TelegramTrigger,
    "whatsapp": WhatsAppTrigger,
    "webhook": WebhookTrigger,
    "cron": CronTrigger,
}

Trigger = Annotated[
    TelegramTrigger | WhatsAppTrigger | WebhookTrigger | CronTrigger,
    Field(discriminator="type"),
]
