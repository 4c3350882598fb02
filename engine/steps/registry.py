"""The registry of step types. Built-in steps and extensions register the same way:

    from engine.steps import Step, register_step_type

    @register_step_type
    class TranslateStep(Step):
        type: Literal["translate"]
        ...

Extensions are found through the `loomwork.steps` entry-point group; each entry point
names a module that registers its types when imported.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, Field

from . import base
from .base import Step


class StepRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[Step]] = {}
        self._dependents: list[type[BaseModel]] = []
        self._built = False
        self._extensions_loaded = False

    def register(self, cls: type[Step]) -> type[Step]:
        """Register a step type; usable as a class decorator."""
        name = _literal_type(cls)
        if name in self._types and self._types[name] is not cls:
            raise ValueError(f"step type '{name}' is registered twice")
        self._types[name] = cls
        self._built = False
        return cls

    def depends(self, cls: type[BaseModel]) -> type[BaseModel]:
        """Declare a non-step model that holds steps (e.g. the workflow); rebuilt with the union."""
        self._dependents.append(cls)
        self._built = False
        return cls

    def names(self) -> list[str]:
        self.build()
        return sorted(self._types)

    def get(self, name: str) -> type[Step] | None:
        self.build()
        return self._types.get(name)

    def types(self) -> dict[str, type[Step]]:
        self.build()
        return dict(self._types)

    def build(self) -> None:
        """Resolve every model's `Step` references to the union of the registered types."""
        if self._built:
            return
        self._load_extensions()
        union: Any = Annotated[
            Union[tuple(self._types[name] for name in sorted(self._types))],  # noqa: UP007 - built at run time
            Field(discriminator="type"),
        ]
        # Step models are built lazily (defer_build): each resolves the forward reference
        # `AnyStep` from its own module when first used, so publish the union there. Only
        # the workflow, the model every load starts from, is built now.
        modules = {base.__name__, *(m.__module__ for m in self._types.values())}
        modules.update(m.__module__ for m in self._dependents)
        for name in modules:
            setattr(sys.modules[name], "AnyStep", union)  # noqa: B010 - a module attribute made at run time
        for model in [*self._types.values(), *self._dependents]:
            model.__pydantic_complete__ = False
        for model in self._dependents:
            model.model_rebuild(force=True)
        self._built = True

    def _load_extensions(self) -> None:
        if self._extensions_loaded:
            return
        self._extensions_loaded = True
        from importlib.metadata import entry_points

        for entry in entry_points(group="loomwork.steps"):
            entry.load()


def _literal_type(cls: type[Step]) -> str:
    annotation = cls.model_fields["type"].annotation
    args = get_args(annotation)
    if len(args) != 1 or not isinstance(args[0], str):
        raise TypeError(f"{cls.__name__}.type must be a Literal of one string")
    return args[0]


registry = StepRegistry()
register_step_type = registry.register
