"""Browser test of the Build tab's Settings: choose a builder model, test the connection, chat with it.

Its own module (and so its own server): choosing a model changes how every later turn is drafted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.peers.local_server import LocalServer, serve
from tests.peers.openai import completion

from .conftest import screenshot
from .test_build_tab import PAGE_OPENED

DRAFT = """\
loom: 1
name: model-made
description: Drafted by the model on loopback.
steps:
  - id: answer
    type: reply
    text: hello from the model
"""


@pytest.fixture
def model_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    with serve() as peer:
        yield peer


def test_a_model_chosen_in_settings_is_tested_and_then_drafts(page, live_server, model_peer):
    expect(page.locator("#build-validation")).to_contain_text(PAGE_OPENED)
    page.locator("#build-settings").get_by_text("Settings").click()
    page.locator("#settings-test").click()
    connection = page.locator("#settings-connection")
    expect(connection).to_contain_text("no builder model is configured")

    model_peer.script(completion("ok"))
    page.locator("#settings-model textarea").fill("openai/gpt-4o-mini")
    page.locator("#settings-api-base textarea").fill(model_peer.url + "/v1")
    page.locator("#settings-test").click()
    expect(connection).to_contain_text("openai/gpt-4o-mini answered in", timeout=30_000)  # first litellm import
    assert live_server.loom.builder.model == "openai/gpt-4o-mini"
    screenshot(page, "build-settings")

    model_peer.script(completion(json.dumps({"reply": "Here is a greeter.", "yaml": DRAFT})))
    page.locator("#build-new-session").click()
    expect(page.locator("#build-notice")).to_contain_text("Started a new session")
    page.locator("#build-prompt textarea").fill("greet whoever asks")
    page.locator("#build-send").click()
    expect(page.locator("#build-chat")).to_contain_text("Here is a greeter.")
    expect(page.locator("#build-editor")).to_contain_text("name: model-made")
    expect(page.locator("#build-validation")).to_contain_text("Valid workflow")
    expect(page.locator("#build-chat")).not_to_contain_text("offline")
    assert "greet whoever asks" in model_peer.requests[-1].body.decode()
