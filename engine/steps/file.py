"""`file`: read and write files inside the workspace's files directory."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import ClassVar, Literal

from pydantic import model_validator

from ..language.base import described
from .base import Step
from .registry import register_step_type

_NEEDS = {"grep": "pattern", "write": "content"}


@register_step_type
class FileStep(Step):
    template_fields: ClassVar = frozenset({"path", "pattern", "content"})

    type: Literal["file"] = described("Step type.")
    op: Literal["read_lines", "grep", "write", "delete", "list"] = described("The operation.")
    path: str = described(
        "A path relative to the workspace's files directory; may be a template.", examples=["reports/today.txt"]
    )
    pattern: str | None = described("With `grep`: the regular expression searched.", default=None)
    content: str | None = described("With `write`: the text written.", default=None)
    append: bool = described("With `write`: append instead of replacing.", default=False)
    start: int = described("With `read_lines`: first line (1-based).", default=1, ge=1)
    limit: int | None = described("With `read_lines`, `grep`, `list`: most lines or entries.", default=None, ge=1)

    @model_validator(mode="after")
    def _fields_for_op(self):
        needed = _NEEDS.get(self.op)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"`op: {self.op}` needs `{needed}`")
        if "${{" not in self.path:
            parts = PurePosixPath(self.path).parts
            if self.path.startswith("/") or ".." in parts:
                raise ValueError(f"path '{self.path}' must stay inside the workspace: no leading '/' or '..'")
        return self
