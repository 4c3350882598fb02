"""Pydantic models of the Loomwork language (DSL.md), version 1."""

from ..steps import registry
from .base import Duration, Expression, LoomModel, parse_duration
from .common import (
    Defaults,
    InputSpec,
    Limits,
    RetryPolicy,
    TestCase,
    TestExpectation,
    TriggerContext,
)
from .triggers import (
    TRIGGER_TYPES,
    CronTrigger,
    TelegramTrigger,
    Trigger,
    WebhookTrigger,
    WhatsAppTrigger,
)
from .workflow import Workflow

__all__ = [
    "TRIGGER_TYPES",
    "CronTrigger",
    "Defaults",
    "Duration",
    "Expression",
    "InputSpec",
    "Limits",
    "LoomModel",
    "RetryPolicy",
    "TelegramTrigger",
    "TestCase",
    "TestExpectation",
    "Trigger",
    "TriggerContext",
    "WebhookTrigger",
    "WhatsAppTrigger",
    "Workflow",
    "parse_duration",
    "registry",
]
