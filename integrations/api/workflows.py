"""Placeholder: the workflows routes are being built."""

from fastapi import APIRouter

router = APIRouter(tags=["workflows"])
