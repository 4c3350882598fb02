"""Placeholder: the Gradio UI is being built."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def build_ui(loom):
    import gradio as gr

    with gr.Blocks(title="Loomwork") as blocks:
        gr.Markdown("# Loomwork")
    return blocks


def launch_options() -> dict:
    return {}
