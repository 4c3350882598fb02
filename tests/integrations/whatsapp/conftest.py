"""A real app whose WhatsApp channel hears from a (signed) Twilio webhook and answers through a
fake Twilio Messages API on loopback."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.settings import Settings
from tests.integrations import helpers
from tests.peers.twilio import FakeTwilio, fake_twilio

SID, AUTH = "AC" + "a" * 32, "twilio-auth-token-0123"
NUMBER = "+15550001111"
PUBLIC_URL = "https://loom.example.org"
WEBHOOK = "/integrations/whatsapp/webhook"
ADA = "whatsapp:+4915112345678"

WORKFLOWS = [r"""
loom: 1
name: digest
description: Summarize a page
inputs:
  url: {type: string}
  style: {type: string, default: short}
triggers:
  - {type: whatsapp, pattern: '^digest\s+(?P<url>\S+)(?:\s+(?P<style>short|long))?$'}
steps:
  - {id: answer, type: reply, text: "digest of ${{ inputs.url }} (${{ inputs.style }}) for ${{ trigger.user }}"}
""", r"""
loom: 1
name: echo
description: Say it back
inputs:
  words: {type: string}
triggers:
  - {type: whatsapp, command: echo}
steps:
  - {id: say, type: reply, text: "${{ inputs.words }}"}
""", r"""
loom: 1
name: count
inputs:
  n: {type: integer}
triggers:
  - {type: whatsapp, pattern: '^count (?P<n>\S+)$'}
steps:
  - {id: check, type: fail, message: "cannot count to ${{ inputs.n }}"}
"""]

_sids = itertools.count(1)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio(SID, AUTH) as fake:
        yield fake


@pytest.fixture
def whatsapp_settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    return dataclasses.replace(settings, public_url=PUBLIC_URL, twilio_account_sid=SID, twilio_auth_token=AUTH,
                               twilio_whatsapp_from=NUMBER, twilio_api_base_url=twilio.url)



def open_app(settings: Settings) -> tuple[Loom, TestClient]:
    return helpers.open_app(settings, WORKFLOWS)


@pytest.fixture
def app(whatsapp_settings: Settings) -> Iterator[tuple[Loom, TestClient]]:
    loom, client = open_app(whatsapp_settings)
    with client:
        yield loom, client


def inbound(body: str, sender: str = ADA, sid: str | None = None) -> dict[str, str]:
    """The form Twilio posts for an incoming WhatsApp message."""
    return {"MessageSid": sid or f"SM{next(_sids):032x}", "AccountSid": SID, "From": sender,
            "To": f"whatsapp:{NUMBER}", "Body": body, "NumMedia": "0", "ProfileName": "Ada", "WaId": sender[10:]}


SIGNED = "<signed like Twilio signs it>"


def post(client: TestClient, twilio: FakeTwilio, params: dict[str, str], signature: str | None = SIGNED):
    """POST the form, signed like Twilio signs it unless a `signature` (None: no header) is given."""
    signature = twilio.sign(PUBLIC_URL + WEBHOOK, params) if signature is SIGNED else signature
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(WEBHOOK, data=params, headers=headers)
