"""`sql`: run one parameterized query against a database named by a secret."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from ..language.base import IDENTIFIER, described
from .base import Step
from .registry import register_step_type


@register_step_type
class SqlStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"params"})
    secret_fields: ClassVar = frozenset({"params"})

    type: Literal["sql"] = described("Step type.")
    connection: str = described(
        "Name of the secret holding the SQLAlchemy database URL.", pattern=IDENTIFIER, examples=["CRM_DB"]
    )
    query: str = described(
        "The SQL, with `:name` placeholders; never build it from inputs, pass them in `params`.",
        examples=["SELECT name, email FROM leads WHERE score > :min_score"],
    )
    params: dict[str, Any] = described("Values bound to the placeholders; may be expressions.", default_factory=dict)
