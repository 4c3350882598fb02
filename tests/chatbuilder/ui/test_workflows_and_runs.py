"""Browser tests of the Workflows and Runs tabs: a saved workflow's endpoints, its run form, a live run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from engine import loads, run
from tests.peers.local_server import LocalServer, serve
from tests.peers.openai import completion

from .conftest import screenshot

GREETER = """\
loom: 1
name: ui-greeter
description: Greets someone after a short pause and has a model sum it up.
inputs:
  who: {type: string, description: Who to greet}
  times: {type: integer, default: 2}
  tone: {type: string, enum: [warm, formal], default: warm}
triggers:
  - {type: telegram, command: greet, args: [who]}
  - {type: cron, schedule: "0 7 * * 1-5", timezone: Europe/Berlin, inputs: {who: team}}
  - {type: webhook}
steps:
  - id: compose
    type: set
    values:
      greeting: "Hello ${{ inputs.who }} x${{ inputs.times }} (${{ inputs.tone }})"
  - id: pause
    type: wait
    duration: 2s
  - id: summarize
    type: llm
    model: openai/gpt-4o-mini
    api_base: PEER/v1
    api_key: test-key
    prompt: "Summarize: ${{ steps.compose.output.greeting }}"
  - id: answer
    type: reply
    text: "${{ steps.compose.output.greeting }} / ${{ steps.summarize.output.text }}"
outputs:
  greeting: ${{ steps.compose.output.greeting }}
"""

BROKEN_RUN = """\
loom: 1
name: ui-breaks
steps:
  - id: boom
    type: fail
    message: the disk is full
"""

FINE_RUN = """\
loom: 1
name: ui-fine
steps:
  - id: hello
    type: reply
    text: all good
"""


@pytest.fixture(scope="module")
def model_peer() -> Iterator[LocalServer]:
    with serve() as peer:
        peer.script(completion("A short summary.", prompt_tokens=30, completion_tokens=12))
        yield peer


@pytest.fixture(scope="module")
def greeter(live_server, model_peer) -> str:
    live_server.loom.catalog.save(GREETER.replace("PEER", model_peer.url))
    live_server.loom.services.http_allow = frozenset({"127.0.0.1"})  # LOOM_HTTP_ALLOW: the peer's api_base is loopback
    return "ui-greeter"


def row(table, text: str):
    """The table row holding `text` (Gradio keeps a hidden copy of each table for measuring: skip it)."""
    return table.get_by_role("row").filter(has_text=text).filter(visible=True)


def open_workflow(page, name: str) -> None:
    page.get_by_role("tab", name="Workflows").click()
    page.locator("#workflows-table").get_by_text(name, exact=True).filter(visible=True).first.click()
    expect(page.locator("#workflow-details")).to_contain_text(f"{name} · v")


def test_the_page_loads_without_asking_the_internet_for_anything(page):
    expect(page.get_by_role("tab", name="Build")).to_be_visible()
    page.get_by_role("tab", name="Workflows").click()
    page.get_by_role("tab", name="Runs").click()
    expect(page.locator("#runs-status-filter")).to_be_visible()
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => document.fonts.size)")  # every font face asked for is settled
    assert page.external_requests == []


def test_workflows_tab_lists_triggers_endpoints_and_yaml(page, greeter):
    open_workflow(page, greeter)
    details = page.locator("#workflow-details")
    expect(details).to_contain_text("Telegram: /greet <who>")
    expect(details).to_contain_text("Webhook: POST /api/v1/workflows/ui-greeter/runs")
    expect(details).to_contain_text("Schedule: 0 7 * * 1-5 (Europe/Berlin)")
    expect(page.locator("#workflow-yaml")).to_contain_text("Greets someone after a short pause")
    expect(page.locator("#input-who")).to_contain_text("who (string, required)")
    expect(page.locator("#input-times input")).to_have_value("2")
    screenshot(page, "workflows-tab")


def test_disabling_a_workflow_is_stored(page, live_server, greeter):
    open_workflow(page, greeter)
    checkbox = page.locator("#workflow-enabled input")
    enabled_cell = row(page.locator("#workflows-table"), greeter).get_by_role("gridcell").nth(2)
    expect(checkbox).to_be_checked()
    expect(enabled_cell).to_have_text("yes")
    checkbox.uncheck()
    expect(enabled_cell).to_have_text("no")
    assert live_server.loom.catalog.get(greeter).enabled is False
    checkbox.check()
    expect(enabled_cell).to_have_text("yes")
    assert live_server.loom.catalog.get(greeter).enabled is True


def test_a_missing_required_input_is_refused_before_anything_runs(page, live_server, greeter):
    before = live_server.call(live_server.loom.store.list_runs(workflow=greeter))
    open_workflow(page, greeter)
    page.locator("#workflow-run").click()
    expect(page.locator("#workflow-run-status")).to_contain_text("missing required input 'who'")
    assert live_server.call(live_server.loom.store.list_runs(workflow=greeter)) == before


def test_a_run_started_from_the_form_is_followed_live_in_the_runs_tab(page, live_server, greeter, model_peer):
    open_workflow(page, greeter)
    page.locator("#input-who textarea").fill("Ada")
    page.locator("#input-times input").fill("3")
    page.locator("#workflow-run").click()

    summary = page.locator("#run-summary")
    expect(page.get_by_role("tab", name="Runs", selected=True)).to_be_visible()
    expect(summary).to_contain_text("running (live)")
    screenshot(page, "runs-tab-live")
    expect(summary).to_contain_text("succeeded", timeout=20_000)
    expect(summary).to_contain_text("Hello Ada x3 (warm) / A short summary.")
    timeline = page.locator("#run-timeline")
    for step in ("compose", "pause", "answer"):
        expect(row(timeline, step).get_by_role("gridcell").nth(3)).to_have_text("succeeded")
    model_step = row(timeline, "summarize").get_by_role("gridcell")
    expect(model_step.nth(6)).to_have_text("42")  # the model's 30 + 12 tokens
    expect(model_step.nth(7)).to_contain_text("$0.0000")  # gpt-4o-mini's price for them
    screenshot(page, "runs-tab-finished")

    run_id = page.locator("#run-id textarea").input_value()
    record = live_server.call(live_server.loom.store.get_run(run_id))
    assert record.inputs == {"who": "Ada", "times": 3, "tone": "warm"}
    assert record.trigger["channel"] == "ui"
    assert "Summarize: Hello Ada x3 (warm)" in model_peer.requests[-1].body.decode()


def test_runs_filter_by_status_and_show_the_error_of_a_failed_step(page, live_server):
    store = live_server.loom.store
    failed = live_server.call(run(loads(BROKEN_RUN), store=store))
    succeeded = live_server.call(run(loads(FINE_RUN), store=store))
    page.get_by_role("tab", name="Runs").click()
    table = page.locator("#runs-table")
    expect(table).to_contain_text(succeeded.run_id)
    page.locator("#runs-status-filter input").click()
    page.get_by_role("option", name="failed", exact=True).click()
    expect(table).to_contain_text(failed.run_id)
    expect(table).not_to_contain_text(succeeded.run_id)

    table.get_by_text(failed.run_id, exact=True).filter(visible=True).first.click()
    expect(page.locator("#run-summary")).to_contain_text("the disk is full")
    expect(page.locator("#run-timeline")).to_contain_text("boom")
    screenshot(page, "runs-tab-failed")
