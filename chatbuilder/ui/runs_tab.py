"""The Runs tab: runs filtered by workflow and status, and one run's step timeline, live while it runs.

A selected run that is still going is polled once a second (a `gr.Timer` switched on and
off by the handlers): the timeline reads the runner's in-memory result for runs of this
process and the store for the rest, so a run started by a bot shows up the same way.
A run waiting for an `approval` step shows the request, a comment box and Approve /
Reject; the answer resumes the run, which the tab then follows live like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from engine import LoomError

from .formatting import (
    ACTIVE_STATUSES,
    RUN_STATUSES,
    RUNS_HEADERS,
    TIMELINE_HEADERS,
    approval_markdown,
    pending_approval,
    run_rows,
    run_summary_markdown,
    timeline_rows,
)

ALL = "all"
LIST_LIMIT = 200


@dataclass
class RunsTab:
    workflow_filter: gr.Dropdown
    status_filter: gr.Dropdown
    table: gr.Dataframe
    run_id: gr.Textbox
    refresh: gr.Button

    def listing(self) -> list:
        """Components a `list_runs` handler fills."""
        return [self.table, self.workflow_filter]


def build(loom, tab_item: gr.Tab) -> RunsTab:
    with gr.Row():
        workflow_filter = gr.Dropdown([ALL], value=ALL, label="Workflow", elem_id="runs-workflow-filter", scale=2,
                                      allow_custom_value=True)  # choices change as runs come in
        status_filter = gr.Dropdown([ALL, *RUN_STATUSES], value=ALL, label="Status", elem_id="runs-status-filter")
        refresh = gr.Button("Refresh", elem_id="runs-refresh", scale=0)
    table = gr.Dataframe(headers=RUNS_HEADERS, value=[], interactive=False, label="Runs (click one)",
                         elem_id="runs-table", max_height=320)
    with gr.Row():
        run_id = gr.Textbox(label="Run id", placeholder="click a run above, or paste its id", elem_id="run-id",
                            scale=4)
        cancel = gr.Button("Cancel run", variant="stop", elem_id="run-cancel", scale=0)
    summary = gr.Markdown("*Select a run.*", elem_id="run-summary")
    with gr.Column(visible=False, variant="panel", elem_id="run-approval") as approval:
        request = gr.Markdown(elem_id="run-approval-request")
        comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="run-approval-comment")
        with gr.Row():
            approve = gr.Button("Approve", variant="primary", elem_id="run-approve")
            reject = gr.Button("Reject", variant="stop", elem_id="run-reject")
    timeline = gr.Dataframe(headers=TIMELINE_HEADERS, value=[], interactive=False, label="Step timeline",
                            elem_id="run-timeline", wrap=True)
    timer = gr.Timer(1.0, active=False)
    tab = RunsTab(workflow_filter, status_filter, table, run_id, refresh)

    async def list_runs(workflow: str | None, status: str | None):
        records = await loom.store.list_runs(status=None if status in (None, ALL) else status,
                                             workflow=None if workflow in (None, ALL) else workflow,
                                             limit=LIST_LIMIT)
        names = {saved.name for saved in loom.catalog.list(limit=1000)} | {r.workflow for r in records}
        if workflow not in (None, ALL):
            names.add(workflow)
        return (gr.Dataframe(value=run_rows(records), headers=RUNS_HEADERS),
                gr.Dropdown(choices=[ALL, *sorted(names)]))

    def detail_of(text: str, steps: list, active: bool = False, waiting=None) -> tuple:
        return (text, gr.Dataframe(value=timeline_rows(steps), headers=TIMELINE_HEADERS), gr.Timer(active=active),
                gr.Column(visible=waiting is not None), approval_markdown(waiting) if waiting is not None else "")

    async def show(run_id: str | None):
        run_id = (run_id or "").strip()
        if not run_id:
            return detail_of("*Select a run.*", [])
        result = await loom.runner.result(run_id)
        if result is None:
            return detail_of(f"No run with id `{run_id}`.", [])
        active = loom.runner.is_active(run_id) or result.status in ACTIVE_STATUSES
        waiting = None
        if result.status == "waiting" and not active:  # the result leaves the waiting step out; the journal has it
            waiting = pending_approval(await loom.store.journal(run_id))
        steps = [*result.steps, waiting] if waiting is not None else result.steps
        return detail_of(run_summary_markdown(result, active), steps, active, waiting)

    async def answer(run_id: str | None, text: str | None, approved: bool) -> str:
        run_id, text = (run_id or "").strip(), (text or "").strip()
        try:
            await loom.runner.approve(run_id, approved=approved, by="ui", comment=text or None)
        except LoomError as exc:  # answered elsewhere a moment ago, timed out, or cancelled
            gr.Warning(str(exc))
            return text
        gr.Info(f"Run {run_id} {'approved' if approved else 'rejected'}; it goes on.")
        return ""

    async def approve_run(run_id: str | None, text: str | None) -> str:
        return await answer(run_id, text, approved=True)

    async def reject_run(run_id: str | None, text: str | None) -> str:
        return await answer(run_id, text, approved=False)

    async def cancel_run(run_id: str | None):
        run_id = (run_id or "").strip()
        if run_id and not await loom.runner.cancel(run_id):
            gr.Warning(f"Run {run_id} has already ended or does not exist.")
        return run_id

    def pick(event: gr.SelectData) -> str:
        return str(event.row_value[0]) if event.row_value else ""

    filters = [workflow_filter, status_filter]
    detail = [summary, timeline, timer, approval, request]
    listing_events = [tab_item.select, refresh.click, workflow_filter.change, status_filter.change]
    gr.on(listing_events, list_runs, filters, tab.listing(), show_progress="hidden")
    table.select(pick, None, run_id)
    run_id.change(show, run_id, detail, show_progress="hidden", trigger_mode="always_last")
    timer.tick(show, run_id, detail, show_progress="hidden").then(list_runs, filters, tab.listing(),
                                                                   show_progress="hidden")
    cancel.click(cancel_run, run_id, run_id).then(show, run_id, detail)
    for button, handler in ((approve, approve_run), (reject, reject_run)):
        button.click(handler, [run_id, comment], comment).then(show, run_id, detail).then(
            list_runs, filters, tab.listing(), show_progress="hidden")
    return tab
