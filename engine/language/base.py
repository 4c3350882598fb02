"""Building blocks shared by every model of the language: the strict base model,
durations, expressions and names."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

SLUG = r"^[a-z][a-z0-9-]{0,62}$"
STEP_ID = r"^[a-z_][a-z0-9_]{0,62}$"
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class LoomModel(BaseModel):
    """Base of every language model: unknown fields are errors, aliases are the YAML names."""

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        str_strip_whitespace=False,
        defer_build=True,
    )


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> float:
    """'1h30m' -> 5400.0 seconds. A bare number is refused: its unit would be a guess."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PydanticCustomError(
            "duration", "expected a duration such as '500ms', '30s', '5m' or '1h'"
        )
    if isinstance(value, int | float):
        raise PydanticCustomError(
            "duration_unit",
            "duration {value} has no unit; write e.g. '{value}s' for seconds",
            {"value": value},
        )
    text = value.strip()
    if not _DURATION.match(text):
        raise PydanticCustomError(
            "duration",
            "'{value}' is not a duration; use a number and a unit (ms, s, m, h, d), e.g. '30s' or '1h30m'",
            {"value": value},
        )
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _DURATION.pattern,
            "description": "A duration: a number and a unit (ms, s, m, h, d), e.g. '30s', '5m', '1h30m'.",
            "examples": ["500ms", "30s", "5m", "1h"],
        }
    ),
]


def _expression_text(value: Any) -> Any:
    # YAML gives `when: true` as a bool; CEL reads the same literal.
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


Expression = Annotated[
    str,
    BeforeValidator(_expression_text),
    WithJsonSchema(
        {
            "type": ["string", "boolean"],
            "description": "A CEL expression in ${{ }}, e.g. ${{ steps.fetch.output.status == 200 }}.",
        }
    ),
]
"""A field that holds one CEL expression, written `${{ expr }}` (bare CEL is accepted too)."""


def described(description: str, **kwargs: Any) -> Any:
    """`Field(...)` that insists on a description: the schema promises one on every field."""
    return Field(description=description, **kwargs)


def format_duration(seconds: float) -> str:
    """5400.0 -> '1h30m', 0.05 -> '50ms': durations written back the way a person writes them."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    out, rest = "", seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if rest >= size:
            count = int(rest // size)
            out, rest = out + f"{count}{unit}", rest - count * size
    return out + (f"{rest:g}s" if rest or not out else "")
