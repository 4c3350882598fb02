"""Routes that describe the server: health (the one route without a key) and the language schema."""

from __future__ import annotations

from fastapi import APIRouter

from engine.steps import registry

from .deps import KeyDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health() -> dict:
    """Liveness: no key needed."""
    return {"status": "ok", "step_types": registry.names()}


@router.get("/schema")
def schema(_: KeyDep) -> dict:
    """The workflow language's JSON Schema."""
    from engine.schema import workflow_schema

    return workflow_schema()
