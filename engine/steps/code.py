"""`code`: run Python in a sandbox (no network, no host files, CPU, memory and time limits)."""

from __future__ import annotations

import ast
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from ..language.base import described
from .base import Step
from .registry import register_step_type


@register_step_type
class CodeStep(Step):
    external: ClassVar = True
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
