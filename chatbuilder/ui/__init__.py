"""The Gradio UI, mounted at `/` by `integrations.server.create_app`.

    blocks = build_ui(loom)
    app = gr.mount_gradio_app(app, blocks, path="/", **launch_options())

Tabs: Build (chat, editor, versions, tests, runs, saving), Workflows (saved ones, their
endpoints, a run form), Runs (filter, step timeline, live), Dashboard (runs, cost,
bottlenecks, failures, MLflow's UI) and Settings (the vault's secrets and connections, set,
tested and deleted; values go in and are never shown). Everything works offline:
the theme uses system fonts, so the page asks no font CDN for anything.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
        "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
CSS = """
#build-validation ul { margin-top: 0.25rem; }
#build-validation code { white-space: pre-wrap; }
#build-diff pre { max-height: 24rem; overflow: auto; }
.field-error .info-text { color: var(--error-text-color, #dc2626); }
"""


def build_ui(loom):
    """One `gr.Blocks` with the Build, Workflows, Runs, Dashboard and Settings tabs, bound to `loom`."""
    import gradio as gr

    from . import build_tab, dashboard, runs_tab, settings_tab, workflows_tab

    with gr.Blocks(title="Loomwork", analytics_enabled=False) as blocks:
        gr.Markdown("## Loomwork · describe a workflow, review it, run it")
        with gr.Tabs() as tabs:
            with gr.Tab("Build", id="build"):
                build_tab.build(loom, blocks)
            with gr.Tab("Workflows", id="workflows") as workflows:
                links = workflows_tab.Links(tabs)
                workflows_tab.build(loom, workflows, links)
            with gr.Tab("Runs", id="runs") as runs:
                links.run_id = runs_tab.build(loom, runs).run_id
            with gr.Tab("Dashboard", id="dashboard"):
                dashboard.build_dashboard(loom, links)
            with gr.Tab("Settings", id="settings") as settings:
                settings_tab.build(loom, settings)
    return blocks


def launch_options() -> dict:
    """Keyword arguments for `gr.mount_gradio_app`: the theme (system fonts only) and CSS."""
    import gradio as gr

    theme = gr.themes.Default(font=SANS, font_mono=MONO)
    return {"theme": theme, "css": CSS}


__all__ = ["build_ui", "launch_options"]
