"""Placeholder: the whatsapp channel is being built."""

from fastapi import APIRouter

router = APIRouter(tags=["whatsapp"])


