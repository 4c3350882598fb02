"""What the UI shows for problems, versions, capabilities, tests, triggers and runs (no browser)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import engine
from chatbuilder import capabilities
from chatbuilder.types import Capabilities, ChangeSummary, Message, Version
from chatbuilder.ui.formatting import (
    approval_markdown,
    capabilities_markdown,
    case_results_markdown,
    chat_history,
    diff_markdown,
    format_duration,
    format_problem,
    message_text,
    pending_approval,
    run_rows,
    run_summary_markdown,
    timeline_rows,
    trigger_endpoints,
    validation_markdown,
    version_choices,
    version_rows,
    workflow_rows,
)
from engine.testing import run_tests

BASE = """\
loom: 1
name: digest
inputs:
  url: {type: string, default: "https://example.org"}
triggers:
  - {type: telegram, command: digest, args: [url]}
  - {type: whatsapp, pattern: '^digest (?P<url>\\S+)'}
  - {type: cron, schedule: "0 7 * * 1-5", timezone: Europe/Berlin}
steps:
  - id: fetch
    type: http
    url: ${{ inputs.url }}
  - id: answer
    type: reply
    text: ${{ steps.fetch.output.text }}
outputs:
  text: ${{ steps.fetch.output.text }}
tests:
  - name: replies with the page
    mocks: {fetch: {status: 200, text: "hello"}}
    expect: {replies: ["hello"]}
  - name: expects the wrong reply
    mocks: {fetch: {status: 200, text: "hello"}}
    expect: {replies: ["goodbye"]}
"""


def problems(text: str) -> list[engine.Problem]:
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(text)
    return caught.value.problems


def test_a_problem_reads_line_column_path_message_and_hint():
    text = BASE.replace("    url: ${{ inputs.url }}", "    url: ${{ inputs.url }}\n    methd: GET")
    line = text.splitlines().index("    methd: GET") + 1
    found = problems(text)
    assert format_problem(found[0]) == (f"line {line}, col 5: steps[0].methd: unknown field 'methd' "
                                        "(hint: did you mean 'method'?)")
    assert format_problem(found[0].to_dict()) == format_problem(found[0])


def test_a_problem_without_a_position_names_the_document():
    assert format_problem({"path": "", "message": "empty", "line": None}) == "document: (document): empty"


def test_validation_lists_every_problem_with_its_line():
    broken = BASE.replace("type: http", "type: htp").replace("command: digest", "command: /digest")
    lines = broken.splitlines()
    command_line = next(i for i, text in enumerate(lines, 1) if "/digest" in text)
    type_line = lines.index("    type: htp") + 1
    shown = validation_markdown(False, problems(broken))
    assert "Invalid workflow: 2 problem(s)" in shown
    assert f"- `line {command_line}, col 31: triggers[0].command: write the command without its slash" in shown
    assert f"- `line {type_line}, col 11: steps[0].type: unknown step type 'htp'" in shown
    assert validation_markdown(True) == "**✓ Valid workflow**"


def test_chat_history_has_roles_and_names_the_version_a_reply_made():
    now = datetime.now(UTC)
    history = chat_history([Message("user", "make it daily", now), Message("assistant", "Done.", now, 3)])
    assert history == [{"role": "user", "content": "make it daily"},
                       {"role": "assistant", "content": "Done.\n\n*(version 3)*"}]


def test_message_text_joins_the_parts_gradio_hands_over():
    assert message_text([{"type": "text", "text": "every "}, "weekday"]) == "every weekday"
    assert message_text("plain") == "plain"
    assert message_text(None) == ""


def version(number: int, source: str, text: str, diff: str = "") -> Version:
    return Version(number, "", source, datetime(2025, 1, number, tzinfo=UTC), diff, ChangeSummary(text=text),
                   Capabilities())


def test_versions_are_listed_newest_first_with_source_and_summary():
    versions = [version(1, "model", "First version."), version(2, "edit", "Changed step fetch.\nNew model.")]
    assert version_rows(versions)[0] == [2, "edit", "Changed step fetch.; New model.", "2025-01-02 00:00:00"]
    assert version_choices(versions) == [("v2 · edit · Changed step fetch.; New model.", 2),
                                         ("v1 · model · First version.", 1)]


def test_a_diff_is_shown_fenced_and_a_first_version_says_it_has_none():
    assert "The first version: nothing to compare with." in diff_markdown(version(1, "model", "First version."))
    shown = diff_markdown(version(2, "edit", "Changed step fetch.", "--- v1\n+++ v2\n-a\n+b\n"))
    assert shown.startswith("**v2 · edit**: Changed step fetch.")
    assert "```diff\n--- v1\n+++ v2\n-a\n+b\n```" in shown


def test_capabilities_mark_what_a_version_adds():
    before = capabilities(engine.loads(BASE))
    after = engine.loads(BASE.replace("outputs:", """  - id: tell
    type: send
    channel: email
    to: ${{ secrets.ADDRESS }}
    text: hi
outputs:"""))
    shown = capabilities_markdown(capabilities(after, before))
    assert "- Channels that send: **email (new)**, telegram, whatsapp" in shown
    assert "- Secrets used: **ADDRESS (new)**" in shown
    assert "- Code execution: no" in shown
    assert capabilities_markdown(None) == "*No version yet.*"


async def test_test_results_say_which_case_passed_and_why_one_failed():
    shown = case_results_markdown(await run_tests(engine.loads(BASE)))
    assert shown.startswith("**Tests: 1 passed, 1 failed**")
    assert "- ✓ PASS replies with the page" in shown
    assert "- ✗ FAIL expects the wrong reply" in shown and "replies: expected ['goodbye'], got ['hello']" in shown
    assert "no `tests:`" in case_results_markdown([])


def test_each_trigger_says_how_it_reaches_the_workflow():
    friday_noon = datetime(2025, 1, 3, 12, tzinfo=UTC)
    lines = trigger_endpoints(engine.loads(BASE), now=friday_noon)
    assert lines == [
        "Telegram: `/digest <url>`",
        "WhatsApp: message matching `^digest (?P<url>\\S+)`",
        "Schedule: `0 7 * * 1-5` (Europe/Berlin), next 2025-01-06 07:00 CET",
        "REST API: `POST /api/v1/workflows/digest/runs` (API key)",
    ]
    webhook = engine.loads(BASE.replace("triggers:\n", "triggers:\n  - {type: webhook, auth: none}\n"))
    assert trigger_endpoints(webhook)[0] == "Webhook: `POST /api/v1/workflows/digest/runs` (auth: none)"


def test_saved_workflows_are_rows_with_their_triggers(tmp_path):
    from engine.catalog import Catalog
    from engine.runtime.store import SqlStore

    catalog = Catalog(SqlStore(f"sqlite:///{tmp_path / 'loom.db'}").engine, files=None)
    catalog.save(BASE)
    catalog.set_enabled("digest", False)
    assert workflow_rows(catalog.list()) == [
        ["digest", 1, "no", "", "telegram /digest, whatsapp pattern, cron 0 7 * * 1-5"]]


LOOPING = """\
loom: 1
name: looping
steps:
  - id: each
    type: for_each
    items: ${{ [1, 2] }}
    steps:
      - id: double
        type: set
        values: {n: "${{ item * 2 }}"}
  - id: broken
    type: set
    values: {x: "${{ [1][3] }}"}
    on_error: continue
  - id: answer
    type: reply
    text: done
"""


async def test_a_run_becomes_a_timeline_and_a_summary():
    result = await engine.run(engine.loads(LOOPING), store=engine.MemoryStore())
    rows = timeline_rows(result.steps)
    by_step = {(row[0], row[1]): row for row in rows}
    assert {"double"} <= {row[0] for row in rows}
    assert next(row for row in rows if row[0] == "double")[1] != ""  # inside a loop: its path is shown
    failed = by_step[("broken", "")]
    assert failed[3] == "failed" and "index" in failed[8] and failed[5] == 1
    summary = run_summary_markdown(result)
    assert f"Run `{result.run_id}` · looping · **succeeded**" in summary
    assert "> done" in summary
    assert run_summary_markdown(None) == "*Select a run.*"


async def test_a_failed_run_shows_its_error_and_the_step():
    failing = engine.loads("loom: 1\nname: sad\nsteps:\n  - id: boom\n    type: fail\n    message: no luck\n")
    store = engine.MemoryStore()
    result = await engine.run(failing, store=store)
    summary = run_summary_markdown(result, active=False)
    assert "**failed**" in summary and "no luck" in summary and "step `boom`" in summary
    [row] = run_rows(await store.list_runs())
    assert row[:3] == [result.run_id, "sad", "failed"]


@pytest.mark.parametrize(("ms", "shown"), [(None, ""), (0.2, "<1 ms"), (12.4, "12 ms"), (2500, "2.50 s"),
                                           (125_000, "2 min 5 s")])
def test_durations_read_naturally(ms, shown):
    assert format_duration(ms) == shown


APPROVAL = """\
loom: 1
name: needs-ok
steps:
  - id: first
    type: set
    values: {n: 1}
  - id: ok
    type: approval
    message: "Deploy build ${{ steps.first.output.n }}?\\nIt touches production."
    approvers: [ann, bob]
    timeout: 2h
"""


async def test_a_waiting_run_names_its_approval_request_and_approvers():
    store = engine.MemoryStore()
    result = await engine.run(engine.loads(APPROVAL), store=store)
    assert result.status == "waiting"
    journal = await store.journal(result.run_id)
    pending = pending_approval(journal)
    assert pending.step_id == "ok"
    shown = approval_markdown(pending)
    assert shown.startswith("### Waiting for approval · step `ok`")
    assert "> Deploy build 1?\n> It touches production." in shown
    assert "**Approvers:** `ann`, `bob`" in shown
    assert "UTC · expires " in shown
    [row] = timeline_rows([pending])
    assert row[3] == "waiting" and row[4] == ""  # still waiting: no duration yet


async def test_a_run_that_does_not_wait_has_no_approval_and_anyone_may_answer_an_open_one():
    store = engine.MemoryStore()
    result = await engine.run(engine.loads(APPROVAL.split("  - id: ok")[0]), store=store)
    assert pending_approval(await store.journal(result.run_id)) is None
    open_to_all = engine.loads(APPROVAL.replace("    approvers: [ann, bob]\n", "").replace("    timeout: 2h\n", ""))
    waiting = await engine.run(open_to_all, store=store)
    shown = approval_markdown(pending_approval(await store.journal(waiting.run_id)))
    assert "**Approvers:** anyone with access" in shown and "expires" not in shown
