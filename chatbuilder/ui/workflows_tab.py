"""The Workflows tab: saved workflows, their triggers and endpoints, their YAML, and a form to run one.

The run form is drawn per workflow with `gr.render` (one field per declared input); a run
started here goes through `loom.runner.start` like every other door, and the page then
switches to the Runs tab with that run selected, where it is followed live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.errors import LoomError, WorkflowNotFound

from .formatting import WORKFLOWS_HEADERS, trigger_endpoints, workflow_rows
from .forms import FormError, collect_inputs, form_fields

UI_TRIGGER = {"channel": "ui", "user": "ui"}


@dataclass
class Links:
    """Where a started run is shown: the tab set and the Runs tab's run id box. `build_ui` fills
    `run_id` once the Runs tab exists; the run form is only drawn at page load, after that."""

    tabs: gr.Tabs
    run_id: gr.Textbox | None = None
    runs_tab_id: str = "runs"


@dataclass
class WorkflowsTab:
    picked: gr.Dropdown
    table: gr.Dataframe
    refresh: Any


def build(loom, tab: gr.Tab, links: Links) -> WorkflowsTab:
    with gr.Row():
        picked = gr.Dropdown([], value=None, label="Workflow", elem_id="workflow-picked", scale=3,
                             allow_custom_value=True,  # choices change as workflows are saved
                             info="Pick a saved workflow, or click one in the table")
        refresh = gr.Button("Refresh", elem_id="workflows-refresh", scale=0)
    # The workflow shown. Only a person's choice changes it (the picker's `input`, a click in the table),
    # so refreshing the picker's choices can never race a selection and show nothing.
    current = gr.State(None)
    table = gr.Dataframe(headers=WORKFLOWS_HEADERS, value=[], interactive=False, label="Saved workflows",
                         elem_id="workflows-table", max_height=300, wrap=True)
    with gr.Row():
        with gr.Column(scale=3):
            details = gr.Markdown("*Select a workflow.*", elem_id="workflow-details")
            enabled = gr.Checkbox(label="Enabled (its triggers answer)", value=False, interactive=True,
                                  elem_id="workflow-enabled")
            source = gr.Code(language="yaml", label="YAML", interactive=False, elem_id="workflow-yaml")
        with gr.Column(scale=2):
            gr.Markdown("#### Run it")
            run_status = gr.Markdown("", elem_id="workflow-run-status")

            @gr.render(inputs=current, triggers=[current.change])
            def run_form(name: str | None):
                _render_run_form(loom, name, run_status, links)

    def list_workflows(current: str | None):
        saved = loom.catalog.list(limit=1000)
        names = [item.name for item in saved]
        value = current if current in names else None
        return (gr.Dataframe(value=workflow_rows(saved), headers=WORKFLOWS_HEADERS),
                gr.Dropdown(choices=names, value=value))

    def show(name: str | None):
        if not name:
            return "*Select a workflow.*", gr.Checkbox(value=False), ""
        try:
            saved = loom.catalog.get(name)
        except WorkflowNotFound:
            return f"No saved workflow named `{name}`.", gr.Checkbox(value=False), ""
        try:
            workflow = saved.workflow
        except LoomError as exc:
            return f"`{name}` v{saved.version} cannot be loaded:\n\n```\n{exc}\n```", saved.enabled, saved.source
        lines = [f"### {saved.name} · v{saved.version}", workflow.description or "*No description.*",
                 "**Triggers and endpoints**", *(f"- {line}" for line in trigger_endpoints(workflow))]
        return "\n\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]), gr.Checkbox(value=saved.enabled), saved.source

    def set_enabled(name: str | None, value: bool):
        if name:
            loom.catalog.set_enabled(name, value)
            gr.Info(f"{name} is now {'enabled' if value else 'disabled'}.")

    def pick(event: gr.SelectData) -> tuple[str | None, str | None]:
        name = str(event.row_value[0]) if event.row_value else None
        return name, name

    gr.on([refresh.click, tab.select], list_workflows, current, [table, picked], show_progress="hidden")
    table.select(pick, None, [picked, current])
    picked.input(lambda name: name, picked, current)
    current.change(show, current, [details, enabled, source], show_progress="hidden")
    enabled.input(set_enabled, [current, enabled], None).then(list_workflows, current, [table, picked])
    return WorkflowsTab(picked, table, list_workflows)


def _render_run_form(loom, name: str | None, status: gr.Markdown, links: Links) -> None:
    """Inside `gr.render`: the fields of `name`'s inputs and its Run button."""
    if not name:
        gr.Markdown("*Select a workflow to run it.*")
        return
    try:
        workflow = loom.catalog.get(name).workflow
    except LoomError as exc:
        gr.Markdown(f"Cannot run `{name}`: {exc}")
        return
    fields = form_fields(workflow)
    if not fields:
        gr.Markdown("This workflow takes no inputs.")
    components = [_component(f) for f in fields]
    button = gr.Button(f"Run {name}", variant="primary", elem_id="workflow-run")

    async def start(*values):
        try:
            inputs = collect_inputs(fields, list(values))
            run_id = await loom.runner.start(loom.catalog.get(name).workflow, inputs, trigger=UI_TRIGGER)
        except (FormError, LoomError) as exc:  # InputError is a LoomError: say what is wrong, start nothing
            return f"✗ {exc}", gr.skip(), gr.skip()
        return f"Started run `{run_id}`.", run_id, gr.Tabs(selected=links.runs_tab_id)

    button.click(start, components, [status, links.run_id, links.tabs])


def _component(spec):
    common = {"label": spec.label, "info": spec.info or None, "elem_id": f"input-{spec.name}", "interactive": True}
    if spec.kind == "dropdown":
        return gr.Dropdown(list(spec.choices), value=spec.value, **common)
    if spec.kind == "checkbox":
        return gr.Checkbox(value=spec.value, **common)
    if spec.kind in ("number", "integer"):
        return gr.Number(value=spec.value, precision=0 if spec.kind == "integer" else None, **common)
    if spec.kind == "json":
        return gr.Code(value=spec.value, language="json", **{k: v for k, v in common.items() if k != "info"})
    return gr.Textbox(value=spec.value, **common)
