"""The REST API under `/api/v1`: every route but health requires an API key."""

from __future__ import annotations

from fastapi import APIRouter

from . import builder, runs, system, usage, vault, workflows

router = APIRouter(prefix="/api/v1")
for module in (system, workflows, runs, builder, usage, vault):
    router.include_router(module.router)

__all__ = ["router"]
