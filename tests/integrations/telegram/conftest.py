"""A real app whose bot talks to a fake Telegram Bot API on loopback, with a few saved workflows."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.settings import Settings
from tests.integrations import helpers
from tests.peers.telegram import FakeBotApi, fake_bot_api

TOKEN = "123456:telegram-test-token"
SECRET = "webhook-secret_0123456789"
PUBLIC_URL = "https://loom.example.org"
WEBHOOK = "/integrations/telegram/webhook"

GREET = r"""
loom: 1
name: greet
description: Say hello
inputs:
  who: {type: string}
  punct: {type: string, default: "!"}
triggers:
  - {type: telegram, command: greet, args: [who], description: Greet someone}
steps:
  - {id: hello, type: reply, text: "Hello ${{ inputs.who }}${{ inputs.punct }}"}
outputs:
  said: "Hello ${{ inputs.who }}"
"""

DEPLOY = r"""
loom: 1
name: deploy
triggers:
  - {type: telegram, command: deploy}
steps:
  - {id: ask, type: approval, message: "Deploy now?", approvers: [ada]}
  - {id: done, type: reply, text: "approved=${{ steps.ask.output.approved }} by ${{ steps.ask.output.by }}"}
"""

BROKEN = r"""
loom: 1
name: broken
triggers:
  - {type: telegram, command: broken}
steps:
  - {id: boom, type: fail, message: "the disk is full"}
"""


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with fake_bot_api(TOKEN) as api:
        yield api


@pytest.fixture
def telegram_settings(settings: Settings, bot_api: FakeBotApi) -> Settings:
    return dataclasses.replace(settings, telegram_bot_token=TOKEN, telegram_api_base_url=bot_api.url,
                               public_url=PUBLIC_URL, telegram_webhook_secret=SECRET)



def open_app(settings: Settings) -> tuple[Loom, TestClient]:
    return helpers.open_app(settings, (GREET, DEPLOY, BROKEN))


@pytest.fixture
def app(telegram_settings: Settings) -> Iterator[tuple[Loom, TestClient]]:
    """Webhook mode: LOOM_PUBLIC_URL is set."""
    loom, client = open_app(telegram_settings)
    with client:
        yield loom, client


def post_update(client: TestClient, update: dict, secret: str | None = SECRET):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return client.post(WEBHOOK, json=update, headers=headers)



