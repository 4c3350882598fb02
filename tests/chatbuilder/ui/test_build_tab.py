"""Browser tests of the Build tab: chat, live validation, versions, tests, runs and saving, offline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import screenshot

REQUEST = "Every weekday at 7, fetch https://example.org and send me a summary on Telegram"
PAGE_OPENED = re.compile("Valid workflow|Invalid workflow|No version yet|Describe a workflow")
GREETER = """\
loom: 1
name: hello-ui
inputs:
  who: {type: string}
steps:
  - id: greet
    type: reply
    text: "Hello ${{ inputs.who }}!"
outputs:
  greeting: "Hello ${{ inputs.who }}!"
"""


def start_session(page) -> None:
    """Wait for the page to have opened its newest session (or found none), then start a new one."""
    expect(page.locator("#build-validation")).to_contain_text(PAGE_OPENED)
    page.locator("#build-new-session").click()
    expect(page.locator("#build-notice")).to_contain_text("Started a new session")
    expect(page.locator("#build-chat")).not_to_contain_text("offline")


def say(page, text: str) -> None:
    page.locator("#build-prompt textarea").fill(text)
    page.locator("#build-send").click()


def draft(page) -> None:
    """A new session with the offline drafter's answer to REQUEST as version 1."""
    start_session(page)
    say(page, REQUEST)
    expect(page.locator("#build-validation")).to_contain_text("Valid workflow")
    expect(page.locator("#build-versions")).to_contain_text("v1")


def set_editor(page, selector: str, text: str) -> None:
    """Replace a code editor's text the way a paste does."""
    page.locator(f"{selector} .cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(text)


def edit_workflow(page, text: str) -> None:
    """Paste `text` into the workflow editor and wait until the server has checked it."""
    set_editor(page, "#build-editor", text)
    expect(page.locator("#build-validation")).to_contain_text(f"{len(text.splitlines())} lines checked")


def current_session(live_server) -> str:
    return live_server.loom.builder.sessions()[0].id


def test_a_request_in_the_chat_drafts_a_valid_workflow(page):
    start_session(page)
    say(page, REQUEST)
    chat = page.locator("#build-chat")
    expect(chat).to_contain_text(REQUEST)
    expect(chat).to_contain_text("offline")
    editor = page.locator("#build-editor")
    expect(editor).to_contain_text("schedule: 0 7 * * 1-5")
    expect(editor).to_contain_text("url: https://example.org")
    expect(editor).to_contain_text("channel: telegram")
    expect(page.locator("#build-validation")).to_contain_text("Valid workflow")
    capabilities = page.locator("#build-capabilities")
    expect(capabilities).to_contain_text("example.org")
    expect(capabilities).to_contain_text("Channels that send: telegram (new)")
    expect(page.locator("#build-versions")).to_contain_text("v1 · model")
    screenshot(page, "build-drafted")


def test_a_hand_edit_with_a_mistake_shows_the_error_with_its_line(page, live_server):
    draft(page)
    lines = live_server.loom.builder.versions(current_session(live_server))[-1].yaml.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "method: GET")
    page.locator("#build-editor .cm-line").filter(has_text="method: GET").get_by_text("method").dblclick()
    page.keyboard.type("methd")
    validation = page.locator("#build-validation")
    expect(validation).to_contain_text(f"line {line}, col 3: steps[0].methd: unknown field 'methd'")
    expect(validation).to_contain_text("did you mean 'method'?")
    screenshot(page, "build-edit-error")

    page.locator("#build-save-edit").click()
    expect(page.locator("#build-notice")).to_contain_text("Not saved")
    assert [v.number for v in live_server.loom.builder.versions(current_session(live_server))] == [1]


def test_a_valid_hand_edit_becomes_a_new_version_with_its_diff(page, live_server):
    draft(page)
    drafted = live_server.loom.builder.versions(current_session(live_server))[-1].yaml
    edit_workflow(page, drafted.replace("one short paragraph", "three bullet points"))
    expect(page.locator("#build-validation")).to_contain_text("Valid workflow")
    page.locator("#build-save-edit").click()
    expect(page.locator("#build-notice")).to_contain_text("Saved your edit as version 2")
    expect(page.locator("#build-versions")).to_contain_text("v2 · edit")
    expect(page.locator("#build-diff")).to_contain_text("+    Summarize this page in three bullet points:")
    versions = live_server.loom.builder.versions(current_session(live_server))
    assert "three bullet points" in versions[-1].yaml


def test_restoring_an_earlier_version_puts_it_back_in_the_editor(page):
    draft(page)
    say(page, "also send it to WhatsApp")
    editor = page.locator("#build-editor")
    expect(editor).to_contain_text("channel: whatsapp")
    expect(page.locator("#build-capabilities")).to_contain_text("whatsapp (new)")
    versions = page.locator("#build-versions")
    versions.get_by_text(re.compile(r"^v1 · ")).click()
    expect(page.locator("#build-diff")).to_contain_text("v1 · model: First version: 3 steps")
    page.locator("#build-restore").click()
    expect(page.locator("#build-notice")).to_contain_text("Restored version 1 as version 3")
    expect(versions).to_contain_text("v3 · restore")
    expect(editor).to_contain_text("channel: telegram")
    expect(editor).not_to_contain_text("whatsapp")
    screenshot(page, "build-restored")


def test_the_workflows_tests_run_and_pass(page):
    draft(page)
    page.locator("#build-run-tests").click()
    notice = page.locator("#build-notice")
    expect(notice).to_contain_text("Tests: 1 passed, 0 failed")
    expect(notice).to_contain_text("PASS does the job")
    screenshot(page, "build-tests-passed")


def test_a_saved_workflow_appears_in_the_workflows_tab(page, live_server):
    draft(page)
    page.locator("#build-save-name textarea").fill("morning-digest")
    page.locator("#build-save").click()
    expect(page.locator("#build-notice")).to_contain_text("Saved as workflow morning-digest (version 1)")
    page.get_by_role("tab", name="Workflows").click()
    expect(page.locator("#workflows-table")).to_contain_text("morning-digest")
    assert "https://example.org" in live_server.loom.catalog.get("morning-digest").source
    screenshot(page, "build-saved-workflows-tab")


def test_running_the_editors_workflow_shows_its_replies(page, live_server):
    start_session(page)
    edit_workflow(page, GREETER)
    expect(page.locator("#build-validation")).to_contain_text("Valid workflow")
    page.locator("#build-save-edit").click()
    expect(page.locator("#build-notice")).to_contain_text("Saved your edit as version 1")
    page.locator("#build-run-panel").get_by_text("Run this workflow").click()
    expect(page.locator("#build-inputs")).to_contain_text('"who": ""')
    set_editor(page, "#build-inputs", '{"who": "Grace"}')
    page.locator("#build-run").click()
    result = page.locator("#build-run-result")
    expect(result).to_contain_text("succeeded")
    expect(result).to_contain_text("Hello Grace!")
    expect(page.locator("#build-run-timeline")).to_contain_text("greet")
    screenshot(page, "build-run")
    runs = live_server.call(live_server.loom.store.list_runs(workflow="hello-ui"))
    assert [r.status for r in runs] == ["succeeded"]


def test_bad_run_inputs_are_reported_and_nothing_runs(page, live_server):
    start_session(page)
    edit_workflow(page, GREETER.replace("hello-ui", "hello-bad"))
    page.locator("#build-run-panel").get_by_text("Run this workflow").click()
    set_editor(page, "#build-inputs", '{"who": ')
    page.locator("#build-run").click()
    expect(page.locator("#build-run-result")).to_contain_text("inputs: not valid JSON")
    set_editor(page, "#build-inputs", '{"whom": "x"}')
    page.locator("#build-run").click()
    expect(page.locator("#build-run-result")).to_contain_text("unknown input(s): whom")
    assert live_server.call(live_server.loom.store.list_runs(workflow="hello-bad")) == []
