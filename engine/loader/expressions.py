"""Checking every `${{ }}` when a workflow loads: it compiles, and it names only what exists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..expressions import CompileError, TemplateError, compile_expression, find_segments, references
from ..expressions.template import single_expression
from ..language.workflow import Workflow
from ..steps.base import Step
from ..steps.for_each import ForEachStep
from ..steps.llm import LlmStep
from ..steps.switch import SwitchCase
from .hints import did_you_mean
from .scope import BASE_NAMES, MEMBERS
from .source import Path, Source

if TYPE_CHECKING:
    from .checks import StepInfo


@dataclass(frozen=True, slots=True)
class Scope:
    binds: frozenset[str]
    info: StepInfo | None  # the step whose field is checked; None for `outputs`


class ExpressionChecker:
    def __init__(self, workflow: Workflow, source: Source, steps: dict[str, StepInfo], report):
        self.workflow = workflow
        self.source = source
        self.steps = steps
        self.report = report
        self.loop_names = {"index"} | {
            info.step.as_ for info in steps.values() if isinstance(info.step, ForEachStep)
        }

    def check_step(self, step: Step, path: Path, scope: Scope) -> None:
        cls = type(step)
        for alias, attr in cls.model_fields_by_alias().items():
            value = getattr(step, attr)
            if value is None or _holds_steps(value):
                continue
            binds = scope.binds | step.field_binds(alias)
            field_scope = Scope(binds, scope.info)
            where = (*path, alias)
            if alias in cls.expression_fields and isinstance(value, str):
                self.check_text(value, where, field_scope, expression=True, field=alias)
            elif alias in cls.template_fields:
                self.check_value(value, where, field_scope, secrets_allowed=alias in cls.secret_fields,
                                 field=alias)
            else:
                self._refuse_templates(value, where, alias)
        for index, case in enumerate(getattr(step, "cases", None) or []):
            if isinstance(case, SwitchCase):
                self.check_text(case.when, (*path, "cases", index, "when"), scope, expression=True,
                                field="when")

    def check_value(self, value: Any, path: Path, scope: Scope, *, secrets_allowed: bool,
                    field: str = "") -> None:
        for where, text in _strings(value, path):
            self.check_text(text, where, scope, expression=False, field=field,
                            secrets_allowed=secrets_allowed)

    def check_text(self, text: str, path: Path, scope: Scope, *, expression: bool, field: str,
                   secrets_allowed: bool = False) -> None:
        try:
            sources = self._sources(text, expression)
        except TemplateError as exc:
            self.report(path, str(exc), None, self.source.locate(path, text[exc.offset:exc.offset + 3]))
            return
        except ValueError as exc:
            self.report(path, str(exc), "write the whole value as one ${{ ... }}")
            return
        for cel_source, needle in sources:
            self._check_expression(cel_source, needle, path, scope, field, secrets_allowed)

    def _sources(self, text: str, expression: bool) -> list[tuple[str, str]]:
        if expression:
            single = single_expression(text)
            if single is not None:
                return [(single, single)]
            if "${{" in text:
                raise ValueError("this field takes one expression, not a template with text around it")
            return [(text, text)]
        return [(segment.source, text[segment.start:segment.end]) for segment in find_segments(text)]

    def _check_expression(self, cel_source: str, needle: str, path: Path, scope: Scope, field: str,
                          secrets_allowed: bool) -> None:
        position = self.source.locate(path, needle)
        try:
            compile_expression(cel_source)
        except CompileError as exc:
            if position and exc.line == 1:
                lead = needle.index(cel_source) if cel_source in needle else 0
                position = (position[0], position[1] + lead + exc.column - 1)
            self.report(path, f"expression does not compile: {exc.message}",
                        "CEL syntax: e.g. ${{ steps.fetch.output.status == 200 }}", position)
            return
        refs = references(cel_source)
        allowed = BASE_NAMES | scope.binds | ({"secrets"} if secrets_allowed else set())
        for name in sorted(refs.names - allowed):
            self._unknown_name(name, path, scope, field, allowed, position)
        for root, member, _ in refs.members:
            if root in allowed:
                self._check_member(root, member, path, scope, field, position)

    def _unknown_name(self, name: str, path: Path, scope: Scope, field: str, allowed: frozenset[str],
                      position) -> None:
        if name == "secrets":
            self.report(path, *self._secrets_refusal(scope, field), position)
        elif name == "error":
            self.report(path, "`error` is only defined in on_error steps", None, position)
        elif name in self.loop_names:
            self.report(path, f"`{name}` is only defined inside its for_each or loop", None, position)
        elif name == "env":
            self.report(path, "expressions cannot read environment variables",
                        "pass the value as an input, or as a secret in an action step", position)
        else:
            self.report(path, f"unknown name '{name}' in expression",
                        did_you_mean(name, allowed) or "in scope: " + ", ".join(sorted(allowed)), position)

    def _secrets_refusal(self, scope: Scope, field: str) -> tuple[str, str | None]:
        step = scope.info.step if scope.info else None
        if isinstance(step, LlmStep):
            return (f"secrets may not be used in an llm step's `{field}`: the model would see them",
                    "secrets are allowed in `api_key` and `api_base` only")
        if step is None:
            return "secrets may not be used in outputs: outputs are stored and shown", None
        allowed = type(step).secret_fields
        if not allowed:
            return f"secrets may not be used in a `{step.type}` step", \
                "use them in fields of http, email, sql, code or send steps"
        return f"secrets may not be used in `{field}`", "allowed in: " + ", ".join(sorted(allowed))

    def _check_member(self, root: str, member: str, path: Path, scope: Scope, field: str,
                      position) -> None:
        if root == "steps":
            self._check_step_reference(member, path, scope, field, position)
        elif root == "inputs" and member not in self.workflow.inputs:
            self.report(path, f"unknown input '{member}'",
                        did_you_mean(member, self.workflow.inputs) or "declare it under `inputs:`", position)
        elif root in MEMBERS and member not in MEMBERS[root]:
            self.report(path, f"`{root}` has no field '{member}'", did_you_mean(member, MEMBERS[root]),
                        position)

    def _check_step_reference(self, target_id: str, path: Path, scope: Scope, field: str,
                              position) -> None:
        target = self.steps.get(target_id)
        if target is None:
            self.report(path, f"unknown step '{target_id}'", did_you_mean(target_id, self.steps), position)
            return
        me = scope.info
        if me is None:
            reason = self._inside_for_each(None, target)
        else:
            reason = _ordering_problem(me, target, after_body=bool(me.step.field_binds(field))) \
                or self._inside_for_each(me, target)
        if reason:
            self.report(path, reason[0], reason[1], position)

    def _inside_for_each(self, me: StepInfo | None, target: StepInfo) -> tuple[str, str] | None:
        """A step in a for_each body runs once per item; outside the body there is no single result."""
        mine = (*me.ancestors, me.step.id) if me else ()  # me is None for `outputs`
        for ancestor in target.ancestors:
            holder = self.steps.get(ancestor)
            if holder and isinstance(holder.step, ForEachStep) and ancestor not in mine:
                return (f"step '{target.step.id}' runs once per item of for_each '{ancestor}'",
                        f"read the list of results as steps.{ancestor}.output")
        return None

    def _refuse_templates(self, value: Any, path: Path, field: str) -> None:
        for where, text in _strings(value, path):
            if "${{" in text:
                self.report(where, f"expressions are not evaluated in `{field}`",
                            "move the value to a field that takes expressions", self.source.locate(where, "${{"))
                return


def _ordering_problem(me: StepInfo, target: StepInfo, *, after_body: bool) -> tuple[str, str] | None:
    tid = target.step.id
    if target.step.id == me.step.id:
        return f"step '{tid}' reads its own result", "a step can only read steps that ran before it"
    if me.step.id in target.ancestors:
        if after_body:
            return None
        return (f"step '{tid}' is inside this step and has not run yet",
                "read it after this step, or in a later step")
    mine = dict(me.branches)
    for parallel_id, branch in target.branches:
        if parallel_id in mine and mine[parallel_id] != branch:
            return (f"step '{tid}' is in another branch of parallel step '{parallel_id}'",
                    "branches run at the same time; read it after the parallel step")
    if target.order > me.order and not set(target.loops) & set(me.loops):
        return (f"step '{tid}' runs after this one", "a step can only read steps that ran before it")
    return None


def _holds_steps(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and isinstance(value[0], Step | SwitchCase)
    if isinstance(value, dict):
        return bool(value) and all(_holds_steps(v) for v in value.values())
    return False


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from _strings(getattr(value, name), (*path, info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
