"""`http`: call a URL with httpx."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from ..language.base import described
from .base import Step
from .registry import register_step_type


@register_step_type
class HttpStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"url", "headers", "query", "json", "body"})
    secret_fields: ClassVar = template_fields

    type: Literal["http"] = described("Step type.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = described(
        "HTTP method.", default="GET"
    )
    url: str = described("The URL; a template.", examples=["${{ inputs.url }}", "https://api.example.org/items"])
    headers: dict[str, str] = described("Request headers; values may be templates.", default_factory=dict)
    query: dict[str, Any] = described("Query parameters.", default_factory=dict)
    json_: Any = described("A JSON body; strings in it may be templates.", default=None, alias="json")
    body: str | None = described("A raw text body.", default=None)
    expect_status: list[int] | None = described(
        "Statuses that count as success; by default any 2xx or 3xx.", default=None,
        examples=[[200, 201]],
    )

    @model_validator(mode="after")
    def _one_body(self):
        if self.json_ is not None and self.body is not None:
            raise ValueError("an http step takes `json` or `body`, not both")
        return self
