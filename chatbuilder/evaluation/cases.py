"""Evaluation sets: requests for the builder and what a good answer to each contains."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_SET = Path(__file__).with_name("default_set.yaml")


class EvalSetError(ValueError):
    """An evaluation set file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class EvalCase:
    request: str
    triggers: list[str] = field(default_factory=list)
    """Trigger types the workflow should have (`cron`, `telegram`, ...)."""
    steps: list[str] = field(default_factory=list)
    """Step types the workflow should use, at any depth."""


def load_cases(path: str | Path | None = None) -> list[EvalCase]:
    """The cases of `path` (YAML or JSON: a list of {request, triggers, steps}); the default set if None."""
    path = Path(path) if path is not None else DEFAULT_SET
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalSetError(f"{path}: cannot read the evaluation set: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise EvalSetError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
    if not isinstance(data, list) or not data:
        raise EvalSetError(f"{path}: expected a non-empty list of cases like "
                           "{request: ..., triggers: [cron], steps: [http, llm]}")
    return [_case(path, index, entry) for index, entry in enumerate(data)]


def _case(path: Path, index: int, entry: object) -> EvalCase:
    where = f"{path}: case {index + 1}"
    if not isinstance(entry, dict):
        raise EvalSetError(f"{where}: expected a mapping with `request`, got {type(entry).__name__}")
    unknown = set(entry) - {"request", "triggers", "steps"}
    if unknown:
        raise EvalSetError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                           "a case has request, triggers and steps")
    request = entry.get("request")
    if not isinstance(request, str) or not request.strip():
        raise EvalSetError(f"{where}: `request` must be a non-empty string")
    lists = {}
    for name in ("triggers", "steps"):
        value = entry.get(name) or []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise EvalSetError(f"{where}: `{name}` must be a list of type names, e.g. [cron]")
        lists[name] = value
    return EvalCase(request.strip(), **lists)
