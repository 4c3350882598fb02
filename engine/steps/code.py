"""`code`: run Python in a sandbox (no network, no host files, CPU, memory and time limits).

The step renders its `inputs` and hands the source to `services.sandbox` (bubblewrap by
default, see `engine.sandbox`), which runs it with `inputs` bound and returns the one JSON
value it printed. The step's `timeout` (else the workflow's default, else 30 s) is the
program's wall-clock limit: the sandbox enforces it per attempt and kills every process of
the program, so the executor does not also race it with a cancellation of its own.
Failures carry the kinds `code`, `timeout`, `memory`, `output` and `sandbox`.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import field_validator

from ..language.base import described
from ..sandbox.base import Limits, Program
from .base import Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext

DEFAULT_TIMEOUT = 30.0


@register_step_type
class CodeStep(Step):
    external: ClassVar = True
    own_timeout: ClassVar = True  # the sandbox applies `timeout` to each attempt itself
    template_fields: ClassVar = frozenset({"inputs"})
    secret_fields: ClassVar = frozenset({"inputs"})

    type: Literal["code"] = described("Step type.")
    language: Literal["python"] = described("The language of `source`.", default="python")
    source: str = described(
        "The program. It reads its inputs as the JSON variable `inputs` and prints one JSON value.",
        examples=["import json\nprint(json.dumps(sum(inputs['numbers'])))"],
    )
    inputs: dict[str, Any] = described("Values passed to the program; may be expressions.", default_factory=dict)

    @field_validator("source")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            ast.parse(value)
        except SyntaxError as exc:
            raise ValueError(f"Python syntax error on line {exc.lineno} of source: {exc.msg}") from None
        return value

    async def execute(self, ctx: StepContext) -> Any:
        program = Program(self.source, ctx.render(self.inputs), Limits(timeout=ctx.timeout(DEFAULT_TIMEOUT)))
        return await ctx.services.sandbox.run(program)
