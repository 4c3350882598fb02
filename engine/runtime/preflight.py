"""Before a run starts: is every secret and connection the workflow names configured?

A run that would fail at step 7 for want of a password fails before step 1 instead, naming
each missing name and where to set it; the server refuses a webhook call for it with 422,
and saving such a workflow warns. `loom test` runs skip this: their steps are mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..expressions import find_segments, references
from ..expressions.template import single_expression
from ..language.workflow import Workflow
from ..steps.base import Need, Step
from .services import Services


@dataclass(frozen=True, slots=True)
class Requirements:
    secrets: frozenset[str]
    connections: tuple[Need, ...]
    owners: dict[str, str]
    """Secret or `connection:NAME` -> the first step that uses it, for the error message."""


@dataclass(frozen=True, slots=True)
class Missing:
    name: str
    kind: str
    """`secret`, or the connection's kind (`smtp`, `sql`, ...)."""
    step: str | None
    problem: str = "is not configured"

    @property
    def message(self) -> str:
        where = f" (used by step '{self.step}')" if self.step else ""
        if self.kind == "secret":
            return (f"secret '{self.name}'{where} {self.problem}: set it with `loom secrets set {self.name}`, "
                    f"in Settings > Secrets, or as the environment variable LOOM_SECRET_{self.name}")
        return (f"{self.kind} connection '{self.name}'{where} {self.problem}: add it with "
                f"`loom connections add {self.name} --kind {self.kind}` or in Settings > Connections")


_KNOWN: dict[str, Requirements] = {}
_KNOWN_MAX = 512


def requirements(workflow: Workflow) -> Requirements:
    """Every secret and connection the workflow names, in any step or trigger; worked out once
    per workflow text, since every run of a webhook burst asks again."""
    source = workflow.source_text
    found = _KNOWN.get(source) if source else None
    if found is None:
        found = _collect(workflow)
        if source:
            if len(_KNOWN) >= _KNOWN_MAX:
                _KNOWN.pop(next(iter(_KNOWN)))
            _KNOWN[source] = found
    return found


def _collect(workflow: Workflow) -> Requirements:
    secrets: set[str] = set()
    needs: list[Need] = []
    owners: dict[str, str] = {}
    for _, step, _ in workflow.walk():
        for name in _secret_names(step):
            secrets.add(name)
            owners.setdefault(name, step.id)
        for need in step.connections():
            needs.append(need)
            owners.setdefault(f"connection:{need.name}", step.id)
    for trigger in workflow.triggers:
        signing = getattr(trigger, "secret", None)
        if isinstance(signing, str):
            secrets.add(signing)
    return Requirements(frozenset(secrets), tuple(dict.fromkeys(needs)), owners)


def missing(workflow: Workflow, services: Services) -> list[Missing]:
    """What the workflow needs that `services` lacks; empty when it can start."""
    found: list[Missing] = []
    needed = requirements(workflow)
    owners = needed.owners
    for name in sorted(needed.secrets):
        if not services.secret(name):
            found.append(Missing(name, "secret", owners.get(name)))
    for need in needed.connections:
        problem = _connection_problem(need, services)
        if problem:
            found.append(Missing(need.name, need.kind, owners.get(f"connection:{need.name}"), problem))
    return found


def _connection_problem(need: Need, services: Services) -> str | None:
    connection = services.connections.get(need.name)
    if connection is None:
        if need.secret_fallback and services.secret(need.name):
            return None
        return "is not configured"
    if connection.kind != need.kind:
        return f"is a {connection.kind} connection, not {need.kind}"
    return None


def _secret_names(step: Step) -> Iterator[str]:
    cls = type(step)
    for alias in cls.secret_fields:
        for text in _strings(step.field_value(alias)):
            for source in _expressions(text):
                for root, member, _ in references(source).members:
                    if root == "secrets":
                        yield member


def _expressions(text: str) -> list[str]:
    single = single_expression(text)
    if single is not None:
        return [single]
    return [segment.source for segment in find_segments(text)] if "${{" in text else []


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "model_dump"):
        yield from _strings(value.model_dump())
