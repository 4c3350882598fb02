"""Browser tests of answering an approval from the Runs tab: the request, Approve, Reject, a late answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine import loads

from .conftest import screenshot
from .test_workflows_and_runs import row

EXPENSE = """\
loom: 1
name: ui-expense
inputs:
  purpose: {type: string}
steps:
  - id: manager
    type: approval
    message: "${{ trigger.user }} asks to be reimbursed for ${{ inputs.purpose }}"
    approvers: [finance-manager, ann]
    timeout: 1h
  - id: decision
    type: if
    condition: ${{ steps.manager.output.approved }}
    then:
      - id: pause
        type: wait
        duration: 2s
      - id: booked
        type: reply
        text: "Booked ${{ inputs.purpose }} (${{ steps.manager.output.by }}: ${{ steps.manager.output.comment }})"
    else:
      - id: declined
        type: fail
        message: "Declined by ${{ steps.manager.output.by }}: ${{ steps.manager.output.comment }}"
"""


@pytest.fixture(scope="module")
def expense():
    return loads(EXPENSE)


def waiting_run(live_server, workflow, purpose: str) -> str:
    """Start a run and return its id once it waits for the manager."""
    runner = live_server.loom.runner
    run_id = live_server.call(runner.start(workflow, {"purpose": purpose}, trigger={"channel": "ui", "user": "alice"}))
    assert live_server.call(runner.wait(run_id, 20)).status == "waiting"
    return run_id


def select_run(page, run_id: str) -> None:
    page.get_by_role("tab", name="Runs").click()
    page.locator("#runs-table").get_by_text(run_id, exact=True).filter(visible=True).first.click()
    expect(page.locator("#run-id textarea")).to_have_value(run_id)


def test_an_approved_run_goes_on_and_is_followed_to_its_end(page, live_server, expense):
    run_id = waiting_run(live_server, expense, "a conference ticket")
    select_run(page, run_id)
    summary, request = page.locator("#run-summary"), page.locator("#run-approval-request")
    expect(summary).to_contain_text("waiting")
    expect(request).to_contain_text("Waiting for approval · step manager")
    expect(request).to_contain_text("alice asks to be reimbursed for a conference ticket")
    expect(request).to_contain_text("Approvers: finance-manager, ann")
    expect(request).to_contain_text("expires")
    expect(row(page.locator("#run-timeline"), "manager").get_by_role("gridcell").nth(3)).to_have_text("waiting")
    page.locator("#run-approval-comment textarea").fill("within budget")
    screenshot(page, "runs-tab-approval")
    page.locator("#run-approve").click()

    expect(summary).to_contain_text("running (live)")  # the resumed run is polled until it ends
    expect(page.locator("#run-approve")).to_be_hidden()
    expect(summary).to_contain_text("succeeded")
    expect(summary).to_contain_text("Booked a conference ticket (ui: within budget)")
    timeline = page.locator("#run-timeline")
    for step in ("manager", "pause", "decision", "booked"):
        expect(row(timeline, step).get_by_role("gridcell").nth(3)).to_have_text("succeeded")
    expect(page.locator("#run-approve")).to_be_hidden()
    expect(page.locator("#run-approval-comment")).to_be_hidden()
    answer = live_server.call(live_server.loom.store.journal(run_id))["manager"].output
    assert (answer["approved"], answer["by"], answer["comment"]) == (True, "ui", "within budget")


def test_a_rejected_run_ends_as_the_workflow_says(page, live_server, expense):
    run_id = waiting_run(live_server, expense, "a business class upgrade")
    select_run(page, run_id)
    expect(page.locator("#run-approval-request")).to_contain_text("a business class upgrade")
    page.locator("#run-approval-comment textarea").fill("economy only")
    page.locator("#run-reject").click()

    summary = page.locator("#run-summary")
    expect(summary).to_contain_text("failed")
    expect(summary).to_contain_text("Declined by ui: economy only")
    expect(row(page.locator("#run-timeline"), "declined").get_by_role("gridcell").nth(3)).to_have_text("failed")
    expect(page.locator("#run-reject")).to_be_hidden()
    expect(page.locator("#runs-table")).to_contain_text("failed")
    assert live_server.call(live_server.loom.store.get_run(run_id)).status == "failed"


def test_an_approval_answered_elsewhere_is_a_notice_not_an_error(page, live_server, expense):
    run_id = waiting_run(live_server, expense, "a new laptop")
    select_run(page, run_id)
    expect(page.locator("#run-approve")).to_be_visible()
    runner = live_server.loom.runner
    live_server.call(runner.approve(run_id, approved=True, by="api", comment="ok from the API"))
    assert live_server.call(runner.wait(run_id, 20)).status == "succeeded"

    page.locator("#run-approval-comment textarea").fill("me too")
    page.locator("#run-reject").click()
    expect(page.get_by_text(f"run '{run_id}' is not waiting for an approval")).to_be_visible()
    summary = page.locator("#run-summary")
    expect(summary).to_contain_text("succeeded")  # the tab shows what really happened
    expect(summary).to_contain_text("Booked a new laptop (api: ok from the API)")
    expect(page.locator("#run-reject")).to_be_hidden()
    expect(page.locator("#run-approval-comment textarea")).to_be_hidden()
    assert "Traceback" not in page.content()
    assert live_server.call(live_server.loom.store.journal(run_id))["manager"].output["by"] == "api"


def test_runs_that_do_not_wait_show_no_approval_buttons(page, live_server):
    finished = live_server.call(live_server.loom.runner.start(loads("loom: 1\nname: ui-plain\nsteps:\n"
                                                                    "  - id: hi\n    type: reply\n    text: hi\n"),
                                                              {}))
    assert live_server.call(live_server.loom.runner.wait(finished, 20)).status == "succeeded"
    select_run(page, finished)
    expect(page.locator("#run-summary")).to_contain_text("succeeded")
    expect(page.locator("#run-approve")).to_be_hidden()
    expect(page.locator("#run-reject")).to_be_hidden()
