"""The Runs tab: runs filtered by workflow and status, and one run's step timeline, live while it runs.

A selected run that is still going is polled once a second (a `gr.Timer` switched on and
off by the handlers): the timeline reads the runner's in-memory result for runs of this
process and the store for the rest, so a run started by a bot shows up the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from .formatting import (
    ACTIVE_STATUSES,
    RUN_STATUSES,
    RUNS_HEADERS,
    TIMELINE_HEADERS,
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

    async def show(run_id: str | None):
        run_id = (run_id or "").strip()
        if not run_id:
            return "*Select a run.*", gr.Dataframe(value=[], headers=TIMELINE_HEADERS), gr.Timer(active=False)
        result = await loom.runner.result(run_id)
        if result is None:
            return (f"No run with id `{run_id}`.", gr.Dataframe(value=[], headers=TIMELINE_HEADERS),
                    gr.Timer(active=False))
        active = loom.runner.is_active(run_id) or result.status in ACTIVE_STATUSES
        return (run_summary_markdown(result, active), gr.Dataframe(value=timeline_rows(result.steps),
                                                                   headers=TIMELINE_HEADERS),
                gr.Timer(active=active))

    async def cancel_run(run_id: str | None):
        run_id = (run_id or "").strip()
        if run_id and not await loom.runner.cancel(run_id):
            gr.Warning(f"Run {run_id} has already ended or does not exist.")
        return run_id

    def pick(event: gr.SelectData) -> str:
        return str(event.row_value[0]) if event.row_value else ""

    filters = [workflow_filter, status_filter]
    detail = [summary, timeline, timer]
    listing_events = [tab_item.select, refresh.click, workflow_filter.change, status_filter.change]
    gr.on(listing_events, list_runs, filters, tab.listing(), show_progress="hidden")
    table.select(pick, None, run_id)
    run_id.change(show, run_id, detail, show_progress="hidden", trigger_mode="always_last")
    timer.tick(show, run_id, detail, show_progress="hidden").then(list_runs, filters, tab.listing(),
                                                                   show_progress="hidden")
    cancel.click(cancel_run, run_id, run_id).then(show, run_id, detail)
    return tab
