"""Checks of inputs and triggers: every trigger must be able to fill the inputs it needs."""

from __future__ import annotations

from typing import Any

from ..language.patterns import compile_pattern
from ..language.triggers import CronTrigger, TelegramTrigger, WebhookTrigger, WhatsAppTrigger
from ..language.workflow import Workflow
from .hints import did_you_mean, explained_by_typos

RESERVED_TELEGRAM = frozenset({"start", "help", "list", "run", "status", "settings"})
RESERVED_WHATSAPP = frozenset({"help"})

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "object": (dict,), "array": (list,),
}


def value_matches(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _JSON_TYPES[kind])


def check_inputs(workflow: Workflow, report) -> None:
    for name, spec in workflow.inputs.items():
        path = ("inputs", name)
        if "default" in spec.model_fields_set and spec.default is not None \
                and not value_matches(spec.type, spec.default):
            report((*path, "default"), f"default {spec.default!r} is not of type {spec.type}")
        for index, option in enumerate(spec.enum or []):
            if not value_matches(spec.type, option):
                report((*path, "enum", index), f"enum value {option!r} is not of type {spec.type}")
        if spec.enum and spec.default is not None and spec.default not in spec.enum:
            report((*path, "default"), f"default {spec.default!r} is not one of the enum values")


def check_triggers(workflow: Workflow, report) -> None:
    commands: dict[str, int] = {}
    webhooks = 0
    for index, trigger in enumerate(workflow.triggers):
        path = ("triggers", index)
        if isinstance(trigger, TelegramTrigger):
            _telegram(workflow, trigger, path, commands, report)
        elif isinstance(trigger, WhatsAppTrigger):
            _whatsapp(workflow, trigger, path, report)
        elif isinstance(trigger, CronTrigger):
            _cron(workflow, trigger, path, report)
        elif isinstance(trigger, WebhookTrigger):
            webhooks += 1
            if webhooks > 1:
                report(path, "a workflow has one webhook endpoint; remove the extra webhook trigger")


def _telegram(workflow: Workflow, trigger: TelegramTrigger, path, commands: dict[str, int], report) -> None:
    if trigger.command in RESERVED_TELEGRAM:
        report((*path, "command"), f"/{trigger.command} is a built-in bot command",
               "choose another command name")
    if trigger.command in commands:
        first = commands[trigger.command]
        report((*path, "command"), f"command /{trigger.command} is already used by triggers[{first}]")
    commands.setdefault(trigger.command, path[1])
    for arg_index, name in enumerate(trigger.args):
        if name not in workflow.inputs:
            report((*path, "args", arg_index), f"unknown input '{name}'",
                   did_you_mean(name, workflow.inputs) or "declare it under `inputs:`")
    _required_filled(workflow, set(trigger.args), path, f"/{trigger.command}", "add it to `args`", report)


def _whatsapp(workflow: Workflow, trigger: WhatsAppTrigger, path, report) -> None:
    if trigger.pattern is not None:
        groups = set(compile_pattern(trigger.pattern).groupindex)
        for name in sorted(groups - set(workflow.inputs)):
            report((*path, "pattern"), f"named group '{name}' is not an input",
                   did_you_mean(name, workflow.inputs) or "declare it under `inputs:`")
        _required_filled(workflow, groups, path, "the pattern", "add a named group (?P<name>...)", report)
        return
    if trigger.command and trigger.command.lower() in RESERVED_WHATSAPP:
        report((*path, "command"), f"'{trigger.command}' is a built-in WhatsApp command")
    first = next(iter(workflow.inputs), None)
    _required_filled(workflow, {first} if first else set(), path, f"command '{trigger.command}'",
                     "the rest of the message fills only the first input; give the others defaults",
                     report)


def _cron(workflow: Workflow, trigger: CronTrigger, path, report) -> None:
    for name in trigger.inputs:
        if name not in workflow.inputs:
            report((*path, "inputs", name), f"unknown input '{name}'",
                   did_you_mean(name, workflow.inputs) or "declare it under `inputs:`")
    _required_filled(workflow, set(trigger.inputs), path, "the schedule", "add it to the trigger's `inputs`",
                     report)


def _required_filled(workflow: Workflow, given: set[str], path, who: str, hint: str, report) -> None:
    given = given | explained_by_typos(given, workflow.inputs)  # the typo is reported already
    for name, spec in workflow.inputs.items():
        if spec.is_required and name not in given:
            report(path, f"required input '{name}' is not provided by {who}",
                   f"{hint}, or give the input a default")
