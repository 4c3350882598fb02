"""Placeholder: the builder routes are being built."""

from fastapi import APIRouter

router = APIRouter(tags=["builder"])
