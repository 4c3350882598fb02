"""The top level of a workflow document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr

from ..steps.base import Block, OptionalStepList, Step, StepList
from ..steps.registry import registry
from .base import IDENTIFIER, SLUG, LoomModel, described
from .common import Defaults, InputSpec, Limits, TestCase
from .triggers import Trigger

InputName = Annotated[str, Field(pattern=IDENTIFIER)]


@registry.depends
class Workflow(LoomModel):
    """A Loomwork workflow, language version 1."""

    loom: Literal[1] = described("Language version; always 1.")
    name: str = described("Unique name of the workflow: lowercase letters, digits, dashes.", pattern=SLUG,
                          examples=["url-digest"])
    description: str | None = described("One line shown in bot help and the UI.", default=None)
    inputs: dict[InputName, InputSpec] = described("Inputs the workflow takes, by name.", default_factory=dict)
    triggers: list[Trigger] = described("What starts the workflow besides `loom run`.", default_factory=list)
    defaults: Defaults = described("Settings inherited by every step.", default_factory=Defaults)
    limits: Limits = described("Hard limits of each run.", default_factory=Limits)
    steps: StepList = described("The steps, run in order.")
    outputs: dict[str, Any] = described("Name -> expression; the run's result.", default_factory=dict)
    on_error: OptionalStepList = described(
        "Steps run once when the run fails; `error` is in scope.", default_factory=list
    )
    tests: list[TestCase] = described("Offline tests run by `loom test`.", default_factory=list)

    _source_text: str = PrivateAttr(default="")

    @property
    def source_text(self) -> str:
        """The YAML this workflow was loaded from (kept with each run, so a resume runs it again)."""
        return self._source_text

    def blocks(self) -> Iterator[Block]:
        yield Block(("steps",), self.steps)
        if self.on_error:
            yield Block(("on_error",), self.on_error, frozenset({"error"}))

    def walk(self) -> Iterator[tuple[tuple[str | int, ...], Step, Block]]:
        """Every step with its path, depth first in document order, and the block that holds it."""
        yield from _walk_blocks(list(self.blocks()))

    def step(self, step_id: str) -> Step | None:
        return next((s for _, s, _ in self.walk() if s.id == step_id), None)


def _walk_blocks(blocks: list[Block]) -> Iterator[tuple[tuple[str | int, ...], Step, Block]]:
    for block in blocks:
        for index, step in enumerate(block.steps):
            path = (*block.path, index)
            yield path, step, block
            children = [Block((*path, *child.path), child.steps, child.binds) for child in step.children()]
            yield from _walk_blocks(children)


__all__ = ["Step", "Workflow"]
