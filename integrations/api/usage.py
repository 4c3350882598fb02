"""Placeholder: the usage routes are being built."""

from fastapi import APIRouter

router = APIRouter(tags=["usage"])
