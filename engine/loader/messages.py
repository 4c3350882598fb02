"""Turn pydantic's validation errors into Problems a person and a model can act on.

Pydantic reports union members and discriminator tags as parts of an error's location
and reports every failed union member separately. We map each location back onto the
document (dropping the parts that are not in it), keep one error per real mistake,
and rewrite messages to name the field and suggest the fix.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from ..errors import Problem
from ..language.triggers import TRIGGER_TYPES
from ..language.workflow import Workflow
from ..steps.registry import registry
from .hints import closest, did_you_mean
from .paths import format_path
from .source import Path, Source

_PATTERN_ADVICE = {
    r"^[a-z][a-z0-9-]{0,62}$":
        "use lowercase letters, digits and dashes, starting with a letter, e.g. 'url-digest'",
    r"^[a-z_][a-z0-9_]{0,62}$":
        "use lowercase letters, digits and underscores, starting with a letter, e.g. 'fetch_page'",
    r"^[A-Za-z_][A-Za-z0-9_]{0,62}$": "use letters, digits and underscores, starting with a letter",
    r"^[a-z0-9_]{1,32}$": "Telegram commands are 1-32 lowercase letters, digits or underscores",
}
_TYPE_NAMES = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "int_from_float": "an integer",
}


def problems_from(exc: PydanticValidationError, source: Source) -> list[Problem]:
    grouped: dict[Path, list[dict[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        path = _document_path(dict(error), source.data)
        grouped.setdefault(path, []).append(dict(error))
    _drop_missing_explained_by_typos(grouped, source.data)
    _drop_other_union_members(grouped)
    return [_problem(path, _pick(errors), source) for path, errors in grouped.items()]


def _drop_missing_explained_by_typos(grouped: dict[Path, list[dict[str, Any]]], data: Any) -> None:
    """`urll:` given and `url` missing is one mistake: keep only the unknown-field error."""
    for path, errors in list(grouped.items()):
        if errors[0]["type"] != "extra_forbidden" or not path:
            continue
        siblings = [p for p, e in grouped.items() if p[:-1] == path[:-1] and e[0]["type"] == "missing"]
        missing = {str(p[-1]): p for p in siblings}
        match = closest(str(path[-1]), missing)
        if match:
            del grouped[missing[match]]


def _drop_other_union_members(grouped: dict[Path, list[dict[str, Any]]]) -> None:
    """`on_error: [{...typo...}]` fails as a list of steps and as 'fail'/'continue': the errors
    inside the list explain it, the complaint that the list is not a literal is noise."""
    for path, errors in list(grouped.items()):
        if any(e["type"] != "literal_error" and e["type"] not in _TYPE_NAMES for e in errors):
            continue
        if any(len(other) > len(path) and other[:len(path)] == path for other in grouped):
            del grouped[path]


def _document_path(error: dict[str, Any], data: Any) -> Path:
    """The error's location with union members and tags removed."""
    loc = error["loc"]
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if index and isinstance(loc[index - 1], int) and isinstance(node, dict) and node.get("type") == part:
            pass  # the union tag of a listed step or trigger, even where a field has its name (`workflow`)
        elif _has(node, part):
            path.append(part)
            node = node[part]
        elif last and error["type"] == "missing" and isinstance(part, str):
            path.append(part)
        # else: a union member name, a discriminator tag or '[key]': not part of the document
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _pick(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Of several errors at one place (one per union member), the one that explains it."""
    if len(errors) == 1:
        return errors[0]
    specific = [e for e in errors if e["type"] not in _TYPE_NAMES and e["type"] != "literal_error"]
    if specific:
        return specific[0]
    literal = [e for e in errors if e["type"] == "literal_error"]
    if literal and isinstance(errors[0]["input"], str):
        return literal[0]
    wanted = sorted({_TYPE_NAMES.get(e["type"], "a literal") for e in errors})
    merged = dict(errors[0])
    merged["type"] = "merged_type"
    merged["msg"] = f"expected {' or '.join(wanted)}, got {_describe(errors[0]['input'])}"
    return merged


def _problem(path: Path, error: dict[str, Any], source: Source) -> Problem:
    kind = error["type"]
    if kind == "union_tag_invalid":
        path = (*path, "type")  # point at the misspelt type, not at the whole step
    message, hint = _message(kind, path, error, source.data)
    line, column = source.position(path, key=kind in ("extra_forbidden", "missing"))
    return Problem(format_path(path), message, line, column, hint, source.file)


def _message(kind: str, path: Path, error: dict[str, Any], data: Any) -> tuple[str, str | None]:
    ctx = error.get("ctx") or {}
    value = error.get("input")
    name = path[-1] if path else ""
    if kind == "extra_forbidden":
        allowed = allowed_fields(path[:-1], data) or []
        return f"unknown field '{name}'", did_you_mean(str(name), allowed)
    if kind == "missing":
        return f"missing required field '{name}'", None
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_message(kind, path[:-1] if path and path[-1] == "type" else path, ctx)
    if kind == "literal_error":
        options = [o.strip("'") for o in str(ctx.get("expected", "")).replace(" or ", ", ").split(", ")]
        return f"'{value}' is not allowed here", did_you_mean(str(value), options)
    if kind == "string_pattern_mismatch":
        advice = _PATTERN_ADVICE.get(ctx.get("pattern", ""))
        return f"invalid value {value!r}", advice or f"must match {ctx.get('pattern')}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"])), None
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}", None
    message = error["msg"]
    return message[0].lower() + message[1:], None


def _tag_message(kind: str, path: Path, ctx: dict[str, Any]) -> tuple[str, str | None]:
    is_trigger = bool(path) and path[0] == "triggers"
    what = "trigger" if is_trigger else "step"
    names = list(TRIGGER_TYPES) if is_trigger else registry.names()
    if kind == "union_tag_not_found":
        return f"the {what} has no 'type'", "add 'type:' with one of: " + ", ".join(sorted(names))
    tag = ctx.get("tag", "")
    return f"unknown {what} type '{tag}'", did_you_mean(str(tag), names)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---- which fields are allowed at a path (for "did you mean") ---------------------------


def allowed_fields(path: Path, data: Any) -> list[str] | None:
    """YAML names of the fields of the model found at `path` in `data`, if any."""
    registry.build()
    annotation: Any = Workflow
    node = data
    for part in path:
        annotation = _resolve(annotation, node, part)
        node = _child(node, part)
        if annotation is None:
            return None
    model = _resolve(annotation, node, None)
    return _field_names(model) if _is_model(model) else None


def _resolve(annotation: Any, node: Any, part: Any) -> Any:
    """Given the type at a node, the type of its child `part` (or the node's model if None)."""
    annotation = _concrete(annotation, node)
    if part is None or annotation is None:
        return annotation
    if _is_model(annotation):
        for field_name, info in annotation.model_fields.items():
            if (info.alias or field_name) == part:
                return info.annotation
        return None
    args = get_args(annotation)
    if get_origin(annotation) is list and args:
        return args[0]
    if get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    return None


def _concrete(annotation: Any, node: Any) -> Any:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _concrete(get_args(annotation)[0], node)
    if isinstance(annotation, ForwardRef | str):
        return _by_type(node)
    if origin in (Union, types.UnionType):
        members = [_concrete(m, node) for m in get_args(annotation)]
        by_type = _by_type(node)
        if by_type is not None and by_type in members:
            return by_type
        for member in members:
            if isinstance(node, dict) and _is_model(member):
                return member
            if isinstance(node, list) and get_origin(member) is list:
                return member
            if isinstance(node, dict) and get_origin(member) is dict:
                return member
        return None
    if origin is Literal:
        return None
    return annotation


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node[part]
    return node[part] if isinstance(node, list) and isinstance(part, int) else None


def _by_type(node: Any) -> type[BaseModel] | None:
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if not isinstance(kind, str):
        return None
    return registry.get(kind) or TRIGGER_TYPES.get(kind)  # type: ignore[return-value]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]
