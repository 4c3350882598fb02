"""Placeholder: MLflow's UI under the app's origin is being built."""

from fastapi import APIRouter

router = APIRouter(tags=["mlflow"])


def component(settings):
    return None
