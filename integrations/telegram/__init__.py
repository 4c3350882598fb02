"""Placeholder: the telegram channel is being built."""

from fastapi import APIRouter

router = APIRouter(tags=["telegram"])


def component(settings):
    return None
