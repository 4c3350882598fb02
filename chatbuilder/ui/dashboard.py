"""The Dashboard tab: what ran, what it cost, where the time goes, what failed; and MLflow's UI.

    with gr.Tab("Dashboard", id="dashboard"):
        build_dashboard(loom, links)      # links: the Runs tab to open a failure in (optional)

Everything is read from the run store by `engine.reports` when the page loads, when the
period changes and on Refresh. MLflow's UI is framed from `/mlflow/` on this origin when
the server runs with `LOOM_MLFLOW_UI=on`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from engine.reports import Window, format_ms, profile, recent_failures, runs_by_day, slowest_steps, usage

from .formatting import TIMELINE_HEADERS, timeline_rows

PERIODS = [("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("All time", 0)]
STATUS_COLORS = {"succeeded": "#16a34a", "failed": "#dc2626", "cancelled": "#9ca3af", "waiting": "#f59e0b",
                 "running": "#2563eb", "queued": "#7c3aed"}
SLOWEST_HEADERS = ["workflow", "step", "type", "executions", "p50", "p95"]
FAILURE_HEADERS = ["run", "workflow", "started", "failed step", "error"]
PROFILED_WORKFLOWS = 5
MLFLOW_FRAME = ('<iframe src="/mlflow/" title="MLflow" id="dashboard-mlflow-frame" '
                'style="width: 100%; height: 760px; border: 1px solid #e5e7eb; border-radius: 8px"></iframe>')
MLFLOW_OFF = ("MLflow's UI (traces, token usage and cost per trace) can be shown here: start the server with "
              "`LOOM_MLFLOW_UI=on` and it runs MLflow at `/mlflow/` on this same address.")


@dataclass
class Dashboard:
    period: gr.Dropdown
    refresh: gr.Button
    summary: gr.Markdown
    failures: gr.Dataframe


def build_dashboard(loom, links: Any = None) -> Dashboard:
    """Draw the dashboard into the enclosing tab; `links` (workflows_tab.Links) lets a failure open in Runs."""
    with gr.Row():
        period = gr.Dropdown(PERIODS, value=30, label="Period", elem_id="dashboard-period", scale=1)
        refresh = gr.Button("Refresh", elem_id="dashboard-refresh", scale=0)
    summary = gr.Markdown(elem_id="dashboard-summary")
    with gr.Row():
        runs_plot = gr.BarPlot(x="day", y="runs", color="status", color_map=STATUS_COLORS, y_aggregate="sum",
                               title="Runs per day by status", elem_id="dashboard-runs-plot", height=260)
        cost_day = gr.BarPlot(x="day", y="cost_usd", y_aggregate="sum", title="Cost per day (USD)", y_lim=[0, None],
                              elem_id="dashboard-cost-day", height=260)
    with gr.Row():
        cost_workflow = gr.BarPlot(x="workflow", y="cost_usd", y_aggregate="sum", title="Cost per workflow (USD)",
                                   y_lim=[0, None],
                                   elem_id="dashboard-cost-workflow", height=260)
        cost_model = gr.Dataframe(headers=["model", "calls", "tokens in", "tokens out", "cost"], value=[],
                                  interactive=False, label="Cost per model", elem_id="dashboard-cost-model")
    bottlenecks = gr.Markdown(elem_id="dashboard-bottlenecks")
    slowest = gr.Dataframe(headers=SLOWEST_HEADERS, value=[], interactive=False, label="Slowest steps (p95)",
                           elem_id="dashboard-slowest")
    failures = gr.Dataframe(headers=FAILURE_HEADERS, value=[], interactive=False, wrap=True,
                            label="Recent failures (click one)", elem_id="dashboard-failures")
    with gr.Row():
        failure_id = gr.Textbox(label="Failed run", interactive=False, elem_id="dashboard-failure-id", scale=4)
        open_in_runs = gr.Button("Open in Runs tab", elem_id="dashboard-open-run", scale=0,
                                 visible=links is not None)
    failure_summary = gr.Markdown(elem_id="dashboard-failure-summary")
    failure_steps = gr.Dataframe(headers=TIMELINE_HEADERS, value=[], interactive=False, wrap=True,
                                 label="Steps of the failed run", elem_id="dashboard-failure-steps")
    with gr.Accordion("MLflow", open=bool(loom.settings.mlflow_ui), elem_id="dashboard-mlflow"):
        if loom.settings.mlflow_ui:
            gr.HTML(MLFLOW_FRAME)
        else:
            gr.Markdown(MLFLOW_OFF, elem_id="dashboard-mlflow-off")

    outputs = [summary, runs_plot, cost_day, cost_workflow, cost_model, bottlenecks, slowest, failures]
    gr.on(None, lambda days: snapshot(loom, days), period, outputs, show_progress="hidden")
    refresh.click(lambda days: snapshot(loom, days), period, outputs, show_progress="hidden")

    def pick(event: gr.SelectData) -> str:
        return str(event.row_value[0]) if event.row_value else ""

    async def show(run_id: str):
        return await failure_detail(loom, run_id)

    failures.select(pick, None, failure_id)
    failure_id.change(show, failure_id, [failure_summary, failure_steps], show_progress="hidden")
    if links is not None:
        open_in_runs.click(lambda run_id: (run_id, gr.Tabs(selected=links.runs_tab_id)), failure_id,
                           [links.run_id, links.tabs])
    return Dashboard(period, refresh, summary, failures)


build = build_dashboard


# ---- the figures ------------------------------------------------------------------------

def snapshot(loom, days: int | None) -> tuple:
    """Every figure of the dashboard for the last `days` days (0 or None: all time)."""
    engine = loom.store.engine
    window = Window.last_days(int(days or 0))
    per_day = runs_by_day(engine, window)
    by_workflow = usage(engine, "workflow", window=window)
    by_model = usage(engine, "model", window=window)
    by_day = usage(engine, "day", window=window)
    return (
        summary_markdown(per_day, by_workflow.total),
        pd.DataFrame(per_day, columns=["day", "status", "runs"]),
        pd.DataFrame([(row.key, row.cost_usd) for row in by_day.rows], columns=["day", "cost_usd"]),
        pd.DataFrame([(row.key, row.cost_usd) for row in by_workflow.rows], columns=["workflow", "cost_usd"]),
        [[row.key, row.calls, row.input_tokens, row.output_tokens, f"${row.cost_usd:.6f}"] for row in by_model.rows],
        bottleneck_markdown(engine, window, [row.key for row in sorted(by_workflow.rows, key=lambda r: -r.runs)]),
        [[s["workflow"], s["step"], s["type"], s["executions"], format_ms(s["p50_ms"]), format_ms(s["p95_ms"])]
         for s in slowest_steps(engine, window)],
        [[f["run_id"], f["workflow"], _when(f["started_at"]), f["step"] or "", f["error"]]
         for f in recent_failures(engine, window)],
    )


def summary_markdown(per_day: list[dict[str, Any]], total) -> str:
    if not per_day:
        return "**No runs in this period yet.** Run a workflow from the Build or Workflows tab."
    counts: dict[str, int] = {}
    for row in per_day:
        counts[row["status"]] = counts.get(row["status"], 0) + row["runs"]
    runs = sum(counts.values())
    finished = counts.get("succeeded", 0) + counts.get("failed", 0)
    rate = f"{counts.get('succeeded', 0) / finished:.0%}" if finished else "n/a"
    return (f"**{runs} runs** · success rate **{rate}** ({counts.get('succeeded', 0)} succeeded, "
            f"{counts.get('failed', 0)} failed) · cost **${total.cost_usd:.4f}** · "
            f"{total.input_tokens:,} tokens in, {total.output_tokens:,} out · {total.calls} model calls")


def bottleneck_markdown(engine, window: Window, workflows: list[str]) -> str:
    """The profile note of the busiest workflows: where each one's time goes."""
    notes = []
    for name in workflows[:PROFILED_WORKFLOWS]:
        found = profile(engine, name, window=window, limit=100)
        if found.runs:
            notes.append(f"- **{name}** (p50 {format_ms(found.run_p50_ms)}, p95 {format_ms(found.run_p95_ms)}): "
                         f"{found.note}")
    return "#### Bottlenecks\n" + "\n".join(notes) if notes else ""


async def failure_detail(loom, run_id: str) -> tuple[str, Any]:
    run_id = (run_id or "").strip()
    if not run_id:
        return "", gr.Dataframe(value=[], headers=TIMELINE_HEADERS)
    result = await loom.runner.result(run_id)
    if result is None:
        return f"No run with id `{run_id}`.", gr.Dataframe(value=[], headers=TIMELINE_HEADERS)
    error = result.error or {}
    text = (f"**{result.workflow}** run `{run_id}` **{result.status}**"
            + (f" at step `{error['step']}`" if error.get("step") else "")
            + (f": {error.get('message')}" if error.get("message") else "")
            + f"\n\nAs JSON: `GET /api/v1/runs/{run_id}`")
    return text, gr.Dataframe(value=timeline_rows(result.steps), headers=TIMELINE_HEADERS)


def _when(started_at: str) -> str:
    return started_at[:16].replace("T", " ") + " UTC" if started_at else ""
