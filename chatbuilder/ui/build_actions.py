"""What the Build tab's buttons do, apart from Gradio: each returns a `View` of what changed.

A `View` names only the parts of the page an action changes; `None` leaves a part as it is.
Keeping this apart from the layout lets the layout stay a list of components and wires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, fields

from engine.errors import LoomError, ValidationError

from .formatting import (
    capabilities_markdown,
    case_results_markdown,
    chat_history,
    diff_markdown,
    format_problem,
    run_summary_markdown,
    session_choices,
    timeline_rows,
    validation_markdown,
    version_choices,
)
from .forms import FormError, inputs_template, parse_inputs_json

UI_TRIGGER = {"channel": "ui", "user": "ui"}


@dataclass
class View:
    sessions: list | None = None
    session: str | None = None
    chat: list | None = None
    yaml: str | None = None
    validity: str | None = None
    versions: list | None = None
    version: int | None = None
    diff: str | None = None
    capabilities: str | None = None
    inputs: str | None = None
    notice: str | None = None
    run: str | None = None
    timeline: list | None = None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _problems(exc: ValidationError) -> list[dict]:
    return [p.to_dict() for p in exc.problems]


class BuildActions:
    def __init__(self, loom) -> None:
        self.loom = loom

    @property
    def builder(self):
        return self.loom.builder

    # ---- sessions -----------------------------------------------------------------------

    def sessions(self, selected: str | None = None) -> View:
        """The session picker; with no session chosen yet, the newest one is opened."""
        sessions = self.builder.sessions()
        choices = session_choices(sessions)
        ids = [value for _, value in choices]
        session = selected if selected in ids else (ids[0] if ids else None)
        return View(sessions=choices, session=session)

    def new_session(self) -> View:
        """A fresh session, opened: one update, so nothing can land between creating and showing it."""
        session = self.builder.create_session()
        view = self.open_session(session.id)
        picker = self.sessions(session.id)
        view.sessions, view.session = picker.sessions, picker.session
        view.notice, view.run, view.timeline = "Started a new session.", "", []
        return view

    def open_session(self, session_id: str | None) -> View:
        """Everything shown for a session: its chat, its newest version in the editor, its history."""
        if not session_id:
            return View(chat=[], yaml="", validity="*Describe a workflow in the chat to start.*", versions=[],
                        diff="", capabilities=capabilities_markdown(None))
        versions = self.builder.versions(session_id)
        view = self._history(session_id, versions)
        view.chat = chat_history(self.builder.messages(session_id))
        if versions:
            view.yaml, view.validity = versions[-1].yaml, validation_markdown(True)
            view.inputs = self._template(versions[-1].yaml)
        else:
            view.yaml, view.validity = "", "*No version yet: describe a workflow in the chat.*"
        return view

    def _history(self, session_id: str, versions: list | None = None) -> View:
        versions = self.builder.versions(session_id) if versions is None else versions
        if not versions:
            return View(versions=[], version=None, diff="", capabilities=capabilities_markdown(None))
        newest = versions[-1]
        return View(versions=version_choices(versions), version=newest.number, diff=diff_markdown(newest),
                    capabilities=capabilities_markdown(newest.capabilities))

    # ---- chat and editing ---------------------------------------------------------------

    async def send(self, session_id: str | None, text: str) -> View:
        text = (text or "").strip()
        if not text:
            return View(notice="Type what the workflow should do, then press Send.")
        created = None
        if not session_id:
            created = self.builder.create_session()
            session_id = created.id
        turn = await self.builder.send(session_id, text)
        view = self._history(session_id)
        view.chat = chat_history(self.builder.messages(session_id))
        view.yaml = turn.yaml
        view.validity = validation_markdown(turn.valid, turn.errors)
        view.inputs = self._template(turn.yaml) if turn.valid else None
        view.notice = "Offline drafter: no builder model is configured or reachable." if turn.offline else ""
        if created is not None or turn.version:
            picker = self.sessions(session_id)
            view.sessions, view.session = picker.sessions, picker.session
        return view

    def check(self, yaml: str | None) -> View:
        from chatbuilder import check

        if not (yaml or "").strip():
            return View(validity="*The editor is empty.*")
        result = check(yaml)
        lines = len(yaml.splitlines())
        return View(validity=f"{validation_markdown(result.valid, result.errors)}\n\n*{lines} lines checked.*")

    def save_edit(self, session_id: str | None, yaml: str | None) -> View:
        if not session_id:
            session_id = self.builder.create_session("Hand-written workflow").id
        try:
            version = self.builder.save_edit(session_id, yaml or "")
        except ValidationError as exc:
            return View(validity=validation_markdown(False, _problems(exc)),
                        notice="Not saved: fix the problems listed under the editor.")
        view = self._history(session_id)
        picker = self.sessions(session_id)
        view.sessions, view.session = picker.sessions, picker.session
        view.validity = validation_markdown(True)
        view.notice = f"Saved your edit as version {version.number}."
        view.inputs = self._template(version.yaml)
        return view

    # ---- versions -----------------------------------------------------------------------

    def show_version(self, session_id: str | None, number: int | None) -> View:
        if not session_id or not number:
            return View(diff="")
        version = self.builder.version(session_id, int(number))
        return View(diff=diff_markdown(version), capabilities=capabilities_markdown(version.capabilities))

    def restore(self, session_id: str | None, number: int | None) -> View:
        if not session_id or not number:
            return View(notice="Pick a version in the history first.")
        version = self.builder.restore(session_id, int(number))
        view = self._history(session_id)
        view.yaml, view.validity = version.yaml, validation_markdown(True)
        view.inputs = self._template(version.yaml)
        view.chat = chat_history(self.builder.messages(session_id))
        view.notice = f"Restored version {number} as version {version.number}."
        return view

    # ---- testing, running, saving -------------------------------------------------------

    async def run_tests(self, yaml: str | None) -> View:
        from chatbuilder import check
        from engine.testing import run_tests

        result = check(yaml or "")
        if not result.valid:
            return View(validity=validation_markdown(False, result.errors),
                        notice="The workflow is invalid; fix it before running its tests.")
        cases = await run_tests(result.workflow, resolve_workflow=self.loom.catalog)
        return View(notice=case_results_markdown(cases))

    async def run(self, yaml: str | None, inputs_text: str | None) -> AsyncIterator[View]:
        """Start the editor's workflow and follow it: one View per event, the last when it ends."""
        from chatbuilder import check

        result = check(yaml or "")
        if not result.valid:
            yield View(validity=validation_markdown(False, result.errors),
                       run="The workflow is invalid; fix it before running it.")
            return
        try:
            run_id = await self.loom.runner.start(result.workflow, parse_inputs_json(inputs_text),
                                                  trigger=UI_TRIGGER)
        except (FormError, LoomError) as exc:
            yield View(run=f"✗ {exc}", timeline=[])
            return
        runner = self.loom.runner
        yield await self._run_view(run_id, active=True)
        async for _ in runner.watch(run_id):
            yield await self._run_view(run_id, active=runner.is_active(run_id))
        yield await self._run_view(run_id, active=False)

    async def _run_view(self, run_id: str, active: bool) -> View:
        result = await self.loom.runner.result(run_id)
        return View(run=run_summary_markdown(result, active), timeline=timeline_rows(result.steps if result else []))

    def save(self, session_id: str | None, name: str | None) -> View:
        if not session_id or not self.builder.versions(session_id):
            return View(notice="Nothing to save yet: the session has no valid version.")
        try:
            saved = self.builder.save(session_id, (name or "").strip() or None)
        except ValidationError as exc:
            return View(notice="Not saved: " + "; ".join(format_problem(p) for p in exc.problems))
        except LoomError as exc:
            return View(notice=f"Not saved: {exc}")
        return View(notice=f"Saved as workflow **{saved.name}** (version {saved.version}). "
                           f"It is listed in the Workflows tab.")

    # ---- settings -----------------------------------------------------------------------

    def settings(self) -> tuple[str, str]:
        return self.builder.model or "", getattr(self.builder, "api_base", None) or ""

    async def test_connection(self, model: str | None, api_base: str | None) -> str:
        self.builder.set_model((model or "").strip() or None, (api_base or "").strip() or None)
        outcome = await self.builder.test_connection()
        return f"{'✓' if outcome.ok else '✗'} {outcome.message}"

    def apply_model(self, model: str | None, api_base: str | None) -> str:
        model = (model or "").strip() or None
        self.builder.set_model(model, (api_base or "").strip() or None)
        return f"Builder model: `{model}`." if model else "No builder model: the offline drafter answers."

    @staticmethod
    def _template(yaml: str) -> str | None:
        from chatbuilder import check

        result = check(yaml)
        return inputs_template(result.workflow) if result.valid else None


__all__ = ["BuildActions", "View"]
