"""Browser tests of the Settings tab: secrets and connections set, tested and deleted in the page.

The promise under test: a value typed into the page goes to the vault and never comes back.
Each test records every response the page receives (Gradio's event streams included) and
searches them, the page's HTML and the server's log for the values it typed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
from collections.abc import Iterator

import pytest
from playwright.sync_api import Error, expect

from engine.connections import Connection
from engine.vault import NotStored
from tests.peers.local_server import LocalServer, serve

from .conftest import APP_READY_TIMEOUT_MS, screenshot
from .test_workflows_and_runs import row

SECRET = f"ui-secret-{secrets.token_hex(8)}"
CREDENTIAL = f"Bearer ui-credential-{secrets.token_hex(8)}"


@pytest.fixture
def api_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    # The server runs in this process, so this is its environment: the SSRF guard lets loopback through.
    monkeypatch.setenv("LOOM_HTTP_ALLOW", "127.0.0.1")
    with serve() as peer:
        peer.script((200, {}, {"ok": True}))
        yield peer


TEE = """
(() => {
  const fetch = window.fetch.bind(window);
  window.__streamed = [];
  window.fetch = async (...args) => {
    const response = await fetch(...args);
    if ((response.headers.get("content-type") || "").startsWith("text/event-stream")) {
      const reader = response.clone().body.getReader();
      const decoder = new TextDecoder();
      const pump = () => reader.read().then(({done, value}) => {
        if (!done) { window.__streamed.push(decoder.decode(value, {stream: true})); return pump(); }
      });
      pump().catch(() => {});  // the page aborts a stream it is done with: what came is kept
    }
    return response;
  };
})();
"""


class Received:
    """Everything the page was sent: each response's body (`page.on("response")`), and what its
    event streams delivered, chunk by chunk.

    Gradio sends every event's outputs through `/gradio_api/queue/data`, a server-sent event
    stream that the page aborts once it has what it waited for, so the browser never has its
    body to give back (`response.body()` fails, or waits for as long as the page lives). The
    page's `fetch` is teed instead (`TEE`, installed before the app's scripts run), keeping a
    copy of every chunk as it arrives."""

    def __init__(self, page) -> None:
        self.page = page
        self.responses: list = []
        self.bodies: list[str] = []
        self.streamed = ""
        page.on("response", lambda response: self.responses.append(response))
        page.add_init_script(TEE)
        page.reload()  # the page fixture loaded the app before the tee existed
        page.get_by_role("tab", name="Runs").wait_for(timeout=APP_READY_TIMEOUT_MS)

    def text(self, holding: str) -> str:
        """All received so far, once it holds `holding`: proof that what was searched is what came."""
        for _ in range(50):
            self._collect()
            if holding in self.streamed:
                return "\n".join([*self.bodies, self.streamed])
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the page's event streams never delivered {holding!r}")

    def reload(self, holding: str) -> str:
        """`text(holding)`, then a fresh page (what a page is sent when it opens is searched too)."""
        self.text(holding)
        self.page.reload()
        open_settings(self.page)
        return self.text("are encrypted with")

    def _collect(self) -> None:
        for response in self.responses:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                with contextlib.suppress(Error):  # a redirect has no body
                    self.bodies.append(response.body().decode(errors="replace"))
        self.responses.clear()
        self.streamed += "".join(self.page.evaluate("window.__streamed.splice(0)"))


@pytest.fixture
def received(page) -> Received:
    return Received(page)


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def open_settings(page) -> None:
    page.get_by_role("tab", name="Settings", exact=True).click()
    expect(page.locator("#vault-key-source")).to_contain_text("are encrypted with")


def choose(page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def add_http(page, name: str, url: str, credential: str | None = None) -> None:
    page.locator("#connection-name textarea").fill(name)
    choose(page, "#connection-kind", "http")
    page.locator("#connection-http-base_url textarea").fill(url)
    if credential:
        page.locator("#connection-http-value input").fill(credential)
    page.locator("#connection-save").click()


def pick(page, name: str) -> None:
    row(page.locator("#connections-table"), name).get_by_role("gridcell").first.click()
    expect(page.locator("#connection-picked input")).to_have_value(name)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_secret_set_in_the_page_is_stored_and_listed_but_never_comes_back(page, live_server, received,
                                                                            server_log):
    vault = live_server.loom.vault
    open_settings(page)
    expect(page.locator("#vault-key-source")).to_contain_text(str(vault.keys.path))
    page.locator("#secret-name textarea").fill("UI_TOKEN")
    page.locator("#secret-value input").fill(SECRET)
    page.locator("#secret-save").click()
    expect(page.locator("#secrets-notice")).to_contain_text("Saved secret UI_TOKEN")
    listed = row(page.locator("#secrets-table"), "UI_TOKEN").get_by_role("gridcell")
    expect(listed.nth(1)).to_have_text("set")
    expect(listed.nth(2)).to_contain_text("UTC")
    expect(page.locator("#secret-value input")).to_have_value("")
    assert vault.secret("UI_TOKEN") == SECRET
    shown = page.content()

    sent = received.reload(holding="Saved secret")
    expect(row(page.locator("#secrets-table"), "UI_TOKEN")).to_be_visible()
    key = vault.keys.path.read_text().strip()
    for text in (shown, page.content(), sent, server_log.text):
        assert SECRET not in text and key not in text

    row(page.locator("#secrets-table"), "UI_TOKEN").get_by_role("gridcell").first.click()
    expect(page.locator("#secret-name textarea")).to_have_value("UI_TOKEN")
    page.locator("#secret-delete").click()
    expect(page.locator("#secrets-notice")).to_contain_text("Deleted secret UI_TOKEN")
    expect(page.locator("#secrets-table")).not_to_contain_text("UI_TOKEN")
    with pytest.raises(NotStored):
        vault.secret("UI_TOKEN")


def test_connections_are_tested_green_and_red_and_deleted(page, live_server, api_peer, received, server_log):
    open_settings(page)
    add_http(page, "ui_api", f"{api_peer.url}/v1", CREDENTIAL)
    notice = page.locator("#connection-notice")
    expect(notice).to_contain_text(f"Added connection ui_api (http): {api_peer.url}/v1.")
    expect(page.locator("#connection-http-value input")).to_have_value("")
    listed = row(page.locator("#connections-table"), "ui_api").get_by_role("gridcell")
    expect(listed.nth(1)).to_have_text("http")
    expect(listed.nth(2)).to_have_text(f"{api_peer.url}/v1")

    down = f"http://127.0.0.1:{closed_port()}"
    add_http(page, "ui_down", down)
    expect(notice).to_contain_text("Added connection ui_down (http)")
    expect(notice).to_contain_text("Stored without value.")

    result = page.locator("#connection-result")
    pick(page, "ui_api")
    page.locator("#connection-test").click()
    expect(result).to_contain_text(f"✓ ui_api: HTTP 200 from GET {api_peer.url}/v1")
    assert api_peer.requests[-1].headers["authorization"] == CREDENTIAL
    screenshot(page, "settings-tab")

    pick(page, "ui_down")
    page.locator("#connection-test").click()
    expect(result).to_contain_text(f"✗ connection 'ui_down': GET {down} failed: All connection attempts failed")

    shown = page.content()
    sent = received.text(holding="HTTP 200 from GET")
    for text in (shown, page.content(), sent, server_log.text):
        assert CREDENTIAL not in text

    for name in ("ui_api", "ui_down"):
        pick(page, name)
        page.locator("#connection-delete").click()
        expect(result).to_contain_text(f"Deleted connection {name}.")
        expect(page.locator("#connections-table")).not_to_contain_text(name)
    assert live_server.loom.vault.connection_names() == []


def test_a_bad_field_is_refused_with_its_error_on_the_field(page, live_server, received):
    open_settings(page)
    page.locator("#connection-name textarea").fill("ui_mail")
    choose(page, "#connection-kind", "smtp")
    expect(page.locator("#connection-smtp-port input")).to_have_value("587")  # defaults are shown
    page.locator("#connection-smtp-host textarea").fill("mail.example.org")
    page.locator("#connection-smtp-port input").fill("70000")
    page.locator("#connection-smtp-password input").fill(SECRET)
    page.locator("#connection-save").click()

    notice = page.locator("#connection-notice")
    expect(notice).to_contain_text("✗ connection 'ui_mail' (smtp)")
    expect(notice).to_contain_text("port: Input should be less than or equal to 65535")
    expect(notice).to_contain_text("from: Field required")
    expect(page.locator("#connection-smtp-port")).to_contain_text("✗ Input should be less than or equal to 65535")
    expect(page.locator("#connection-smtp-from")).to_contain_text("✗ Field required")
    expect(page.locator("#connection-smtp-from")).to_have_class(re.compile("field-error"))
    expect(page.locator("#connection-smtp-host")).not_to_have_class(re.compile("field-error"))
    expect(page.locator("#connection-smtp-password input")).to_have_value("")
    screenshot(page, "settings-connection-invalid")
    assert "ui_mail" not in live_server.loom.vault.connection_names()
    assert SECRET not in page.content()
    assert SECRET not in received.text(holding="Input should be less than or equal to 65535")


def test_load_fills_the_form_with_a_stored_connection_but_not_its_credentials(page, live_server):
    settings = {"base_url": "https://crm.example.org/api", "header": "X-Api-Key", "value": CREDENTIAL}
    live_server.loom.vault.add_connection(Connection.parse("ui_crm", "http", settings))
    open_settings(page)
    pick(page, "ui_crm")
    page.locator("#connection-load").click()
    expect(page.locator("#connection-notice")).to_contain_text("Loaded ui_crm")
    expect(page.locator("#connection-name textarea")).to_have_value("ui_crm")
    expect(page.locator("#connection-http-base_url textarea")).to_have_value("https://crm.example.org/api")
    expect(page.locator("#connection-http-header textarea")).to_have_value("X-Api-Key")
    expect(page.locator("#connection-http-value input")).to_have_value("")
    assert CREDENTIAL not in page.content()
    live_server.loom.vault.delete_connection("ui_crm")
