"""Placeholder: the runs routes are being built."""

from fastapi import APIRouter

router = APIRouter(tags=["runs"])
