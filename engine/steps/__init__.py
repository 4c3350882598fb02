"""Step types. Each module defines one type and registers it like an extension would."""

from . import (  # noqa: F401 - importing registers the built-in step types
    approval,
    code,
    conditional,
    email,
    fail,
    file,
    for_each,
    http,
    llm,
    loop,
    parallel,
    reply,
    send,
    set,
    sql,
    subworkflow,
    switch,
    wait,
)
from .base import Block, Step, StepList
from .registry import StepRegistry, register_step_type, registry

__all__ = ["Block", "Step", "StepList", "StepRegistry", "register_step_type", "registry"]
