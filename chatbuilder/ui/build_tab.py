"""The Build tab: the chat beside the YAML editor, version history, capabilities, tests, runs and saving.

Layout and wiring only; what each button does is in `build_actions`. Handlers that a
person triggers listen to `.input`/`.click`, and programmatic changes of the session
picker do not reload the session, so a draft shown by a turn is never replaced by a
reload racing behind it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import gradio as gr

from engine.errors import LoomError

from .build_actions import BuildActions, View
from .formatting import TIMELINE_HEADERS, message_text

EXPECTED = (LookupError, LoomError, ValueError)  # SessionNotFound is a LookupError
PROMPT_PLACEHOLDER = "Describe the workflow, e.g. “Every weekday at 7, fetch https://example.org and send me a " \
                     "summary on Telegram”"


@dataclass
class BuildTab:
    session: gr.Dropdown
    chat: gr.Chatbot
    editor: gr.Code
    validity: gr.Markdown
    versions: gr.Radio
    diff: gr.Markdown
    capabilities: gr.Markdown
    inputs: gr.Code
    notice: gr.Markdown
    run: gr.Markdown
    timeline: gr.Dataframe

    def outputs(self) -> list:
        return [self.session, self.chat, self.editor, self.validity, self.versions, self.diff, self.capabilities,
                self.inputs, self.notice, self.run, self.timeline]

    def updates(self, view: View) -> list:
        """One update per component of `outputs()`; parts the view leaves as None are skipped."""
        if view.sessions is not None:
            session = gr.Dropdown(choices=view.sessions, value=view.session)
        else:
            session = gr.Dropdown(value=view.session) if view.session is not None else gr.skip()
        versions = gr.Radio(choices=view.versions, value=view.version) if view.versions is not None else gr.skip()
        timeline = (gr.Dataframe(value=view.timeline, headers=TIMELINE_HEADERS) if view.timeline is not None
                    else gr.skip())
        rest = [view.chat, view.yaml, view.validity, None, view.diff, view.capabilities, view.inputs, view.notice,
                view.run, None]
        rest = [gr.skip() if value is None else value for value in rest]
        rest[3], rest[9] = versions, timeline
        return [session, *rest]


def build(loom, blocks: gr.Blocks) -> BuildTab:
    actions = BuildActions(loom)
    with gr.Row():
        session = gr.Dropdown([], value=None, label="Session", elem_id="build-session", scale=4,
                              allow_custom_value=True,  # choices change per page; unknown ids are reported
                              info="Every session keeps its chat and all its versions")
        new_session = gr.Button("New session", elem_id="build-new-session", scale=0)
    notice = gr.Markdown("", elem_id="build-notice")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            chat = gr.Chatbot(label="Chat", elem_id="build-chat", height=460, buttons=["copy"],
                              feedback_options=None)
            with gr.Row():
                prompt = gr.Textbox(placeholder=PROMPT_PLACEHOLDER, show_label=False, lines=2, scale=5,
                                    elem_id="build-prompt")
                send = gr.Button("Send", variant="primary", elem_id="build-send", scale=0)
        with gr.Column(scale=1):
            editor = gr.Code(language="yaml", label="Workflow YAML", lines=22, max_lines=40, interactive=True,
                             elem_id="build-editor")
            validity = gr.Markdown("", elem_id="build-validation")
            with gr.Row():
                validate = gr.Button("Validate", elem_id="build-validate")
                save_edit = gr.Button("Save edit", elem_id="build-save-edit")
                run_tests = gr.Button("Run tests", elem_id="build-run-tests")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            versions = gr.Radio([], label="Version history (newest first)", elem_id="build-versions")
            restore = gr.Button("Restore selected version", elem_id="build-restore")
            diff = gr.Markdown("", elem_id="build-diff")
        with gr.Column(scale=1):
            gr.Markdown("#### What this version can do")
            capabilities = gr.Markdown("*No version yet.*", elem_id="build-capabilities")
            with gr.Row():
                name = gr.Textbox(label="Save as workflow named", placeholder="the document's own name if empty",
                                  elem_id="build-save-name", scale=3)
                save = gr.Button("Save as named workflow", variant="primary", elem_id="build-save", scale=1)
    with gr.Accordion("Run this workflow", open=False, elem_id="build-run-panel"):
        inputs = gr.Code(value="{}", language="json", label="Inputs (JSON)", lines=4, elem_id="build-inputs")
        run = gr.Button("Run", variant="primary", elem_id="build-run")
        run_out = gr.Markdown("", elem_id="build-run-result")
        timeline = gr.Dataframe(headers=TIMELINE_HEADERS, value=[], interactive=False, label="Step timeline",
                                elem_id="build-run-timeline", wrap=True)
    with gr.Accordion("Settings", open=False, elem_id="build-settings"):
        with gr.Row():
            model = gr.Textbox(label="Builder model (any LiteLLM model; empty: offline drafter)",
                               placeholder="e.g. openai/gpt-4o-mini or ollama/llama3.2", elem_id="settings-model")
            api_base = gr.Textbox(label="API base (optional)", placeholder="e.g. http://127.0.0.1:11434",
                                  elem_id="settings-api-base")
        with gr.Row():
            apply = gr.Button("Apply", elem_id="settings-apply")
            test = gr.Button("Test connection", elem_id="settings-test")
        connection = gr.Markdown("", elem_id="settings-connection")

    tab = BuildTab(session, chat, editor, validity, versions, diff, capabilities, inputs, notice, run_out, timeline)
    outputs = tab.outputs()

    def show(view: View) -> list:
        return tab.updates(view)

    def safely(action):
        """The action's View as updates; an expected failure (unknown session, invalid YAML, a model
        that cannot be reached) becomes a notice on the page instead of a stack trace."""
        if inspect.iscoroutinefunction(action):
            async def call_async(*args):
                try:
                    return show(await action(*args))
                except EXPECTED as exc:
                    return show(View(notice=f"✗ {exc}"))
            return call_async

        def call(*args):
            try:
                return show(action(*args))
            except EXPECTED as exc:
                return show(View(notice=f"✗ {exc}"))
        return call

    async def on_send(session_id, text, history):
        text = (text or "").strip()
        if text:
            pending = [{"role": m["role"], "content": message_text(m["content"])} for m in history or []]
            pending += [{"role": "user", "content": text}, {"role": "assistant", "content": "Drafting…"}]
            yield [*show(View(chat=pending, notice="")), ""]
        yield [*await safely(actions.send)(session_id, text), "" if text else gr.skip()]

    async def on_run(yaml, inputs_text):
        async for view in actions.run(yaml, inputs_text):
            yield show(view)

    # At page load: open the newest session and show the builder's settings.
    blocks.load(safely(actions.sessions), None, outputs).then(safely(actions.open_session), session, outputs)
    blocks.load(actions.settings, None, [model, api_base])
    new_session.click(safely(actions.new_session), None, outputs)
    session.input(safely(actions.open_session), session, outputs)
    gr.on([send.click, prompt.submit], on_send, [session, prompt, chat], [*outputs, prompt])
    # Only typing re-validates: every action that puts text in the editor reports its validity itself, so a
    # check queued behind it can never overwrite that report with one about older text.
    editor.input(safely(actions.check), editor, outputs, trigger_mode="always_last", show_progress="hidden")
    validate.click(safely(actions.check), editor, outputs)
    save_edit.click(safely(actions.save_edit), [session, editor], outputs)
    run_tests.click(safely(actions.run_tests), editor, outputs)
    versions.input(safely(actions.show_version), [session, versions], outputs)
    restore.click(safely(actions.restore), [session, versions], outputs)
    save.click(safely(actions.save), [session, name], outputs)
    run.click(on_run, [editor, inputs], outputs)
    apply.click(actions.apply_model, [model, api_base], connection)
    test.click(actions.test_connection, [model, api_base], connection)
    return tab
