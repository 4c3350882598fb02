"""Loading a workflow: safe YAML, schema validation, then the semantic checks.

Every problem found is reported at once, each with its path, line and column, so one
round trip to the builder's model can fix them all.
"""

from __future__ import annotations

from pathlib import Path as FilePath

from pydantic import ValidationError as PydanticValidationError

from ..errors import Problem, ValidationError
from ..language.workflow import Workflow
from ..steps.registry import registry
from .checks import check
from .messages import allowed_fields, problems_from
from .source import MAX_BYTES, Source, SourceError, parse

SUPPORTED_VERSIONS = (1,)


def loads(text: str, file: str | None = None, *, max_bytes: int = MAX_BYTES) -> Workflow:
    """Parse and check a workflow document; raise ValidationError listing every problem."""
    try:
        source = parse(text, file, max_bytes=max_bytes)
    except SourceError as exc:
        raise ValidationError(exc.problems) from None
    workflow = validate(source)
    problems = check(workflow, source)
    if problems:
        raise ValidationError(_sorted(problems))
    workflow._source_text = text
    return workflow


def load(path: str | FilePath) -> Workflow:
    """Load a workflow file (see `loads`)."""
    file = FilePath(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ValidationError([Problem("", f"cannot read file: {exc.strerror}", file=str(path))]) from None
    if len(raw) > MAX_BYTES:
        raise ValidationError([Problem("", f"file is {len(raw)} bytes; the limit is {MAX_BYTES}", 1, 1,
                                       file=str(path))])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem("", f"file is not UTF-8 text (byte {exc.start})", file=str(path))]) from None
    return loads(text, str(path))


def validate(source: Source) -> Workflow:
    """The document as a Workflow model, or ValidationError with the schema problems."""
    data = source.data
    if not isinstance(data, dict):
        raise ValidationError([Problem("", "a workflow is a mapping with `loom`, `name` and `steps`", 1, 1,
                                       file=source.file)])
    version = data.get("loom")
    if version is not None and version not in SUPPORTED_VERSIONS:
        line, column = source.position(("loom",))
        raise ValidationError([Problem("loom", f"language version {version!r} is not supported",
                                       line, column, "this Loomwork reads `loom: 1`", source.file)])
    registry.build()
    try:
        return Workflow.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(_sorted(problems_from(exc, source))) from None


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.path))


__all__ = ["MAX_BYTES", "Source", "allowed_fields", "load", "loads", "parse", "validate"]
