"""The builder: sessions of chat turns that draft, repair and version a workflow.

`send` asks the configured model (through `model.complete`) and repairs its draft until it
is valid; with no model, or one that cannot be reached, the offline drafter answers and
says so. Every valid result, hand edit and restore becomes a new version; invalid drafts
are kept as repair attempts only. Everything lives in the database: a new Builder on the
same engine finds every session again.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine

import engine as loom_engine
from engine.catalog import Catalog, SavedWorkflow
from engine.tracing import traced_turn

from . import drafting
from .check import check
from .model import ModelUnavailable, complete
from .offline import draft_offline
from .store import BuilderStore, TurnRecord
from .types import Attempt, ConnectionCheck, Message, SessionInfo, Turn, Version
from .versions import next_version

DEFAULT_TITLE = "New workflow"
UNSET = object()


class Builder:
    def __init__(self, engine: Engine, *, catalog: Catalog, model: str | None = None,
                 max_attempts: int = 3, api_base: str | None = None) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        self.store = BuilderStore(engine)
        self.catalog = catalog
        self.max_attempts = max_attempts
        self._model, self._api_base = model, api_base

    # ---- the model ---------------------------------------------------------------------

    @property
    def model(self) -> str | None:
        """The builder model: the one saved with `set_model`, else the constructor's."""
        return self._connection()[0]

    @property
    def api_base(self) -> str | None:
        return self._connection()[1]

    def set_model(self, model: str | None, api_base: str | None = None) -> None:
        self.store.set_settings({"model": (model or "").strip() or None,
                                 "api_base": (api_base or "").strip() or None})

    def _connection(self) -> tuple[str | None, str | None]:
        """(model, api_base): saved settings win over the constructor's, even when saved as None (offline)."""
        saved = self.store.read_settings()
        if "model" in saved:
            return saved["model"], saved.get("api_base")
        return self._model, self._api_base

    async def test_connection(self) -> ConnectionCheck:
        model, api_base = self._connection()
        if not model:
            return ConnectionCheck(False, "no builder model is configured: set LOOM_BUILDER_MODEL or choose one "
                                          "in Settings (the offline drafter answers meanwhile)")
        started = time.perf_counter()
        try:
            await complete(model, [{"role": "user", "content": "Reply with the word ok."}],
                           api_base=api_base, timeout=10.0, max_tokens=5)
        except ModelUnavailable as exc:
            return ConnectionCheck(False, str(exc))
        return ConnectionCheck(True, f"{model} answered in {time.perf_counter() - started:.1f} s")

    # ---- sessions ----------------------------------------------------------------------

    def create_session(self, title: str | None = None) -> SessionInfo:
        return self.store.create_session((title or "").strip()[:200] or DEFAULT_TITLE)

    def sessions(self) -> list[SessionInfo]:
        return self.store.sessions()

    def session(self, session_id: str) -> SessionInfo:
        return self.store.session(session_id)

    def messages(self, session_id: str) -> list[Message]:
        return self.store.messages(session_id)

    def versions(self, session_id: str) -> list[Version]:
        return self.store.versions(session_id)

    def version(self, session_id: str, number: int) -> Version:
        return self.store.version(session_id, number)

    def attempts(self, session_id: str) -> list[Attempt]:
        """Every answer the model gave in the session, invalid drafts included, oldest first."""
        return self.store.attempts(session_id)

    # ---- turns -------------------------------------------------------------------------

    async def send(self, session_id: str, text: str) -> Turn:
        """One chat turn: draft (or refine) the workflow and keep it as a new version if valid."""
        text = text.strip()
        if not text:
            raise ValueError("the message is empty: describe the workflow or the change you want")
        session, current, history = self.store.context(session_id)
        model, api_base = self._connection()
        reason = "no builder model is configured"
        if model:
            try:
                # One trace per turn in MLflow (when tracing is on), its model calls and repairs inside.
                async with traced_turn("builder turn", session=session_id, inputs={"request": text}) as traced:
                    found = await drafting.draft(text, history, current.yaml if current else None,
                                                 model=model, api_base=api_base, max_attempts=self.max_attempts)
                    traced.outputs = {"valid": found.result.workflow is not None, "yaml": found.yaml,
                                      "model_calls": found.model_calls}
            except ModelUnavailable as exc:
                reason = str(exc)
            else:
                return self._finish(session, text, current, found.reply, found.yaml, found.result.workflow,
                                    found.attempts, offline=False, calls=found.model_calls)
        offline = draft_offline(text, current.yaml if current else None, reason)
        attempt = Attempt(1, offline.reply, offline.yaml, [])
        return self._finish(session, text, current, offline.reply, offline.yaml, offline.workflow, [attempt],
                            offline=True, calls=0)

    def _finish(self, session: SessionInfo, text: str, current: Version | None, reply: str, yaml: str, workflow,
                attempts: list[Attempt], *, offline: bool, calls: int) -> Turn:
        valid = workflow is not None
        errors = [] if valid else (attempts[-1].errors if attempts else [])
        unchanged = valid and current is not None and current.yaml == yaml
        version = next_version(current, yaml, workflow, "model") if valid and not unchanged else None
        if not valid:
            reply = (f"{reply}\n\n" if reply else "") + (
                f"The draft is still invalid after {len(attempts)} attempt(s); it is not saved as a version. "
                "Fix the errors below in the editor, or tell me what to change.")
        stored = self.store.record_turn(session.id, TurnRecord(text, reply, attempts, version))
        if session.title == DEFAULT_TITLE:
            self.store.rename(session.id, _title(text))
        number = stored.number if stored else (current.number if unchanged else None)
        return Turn(reply, yaml, valid, errors, number, offline, calls, attempts)

    def save_edit(self, session_id: str, yaml: str) -> Version:
        """A hand edit from the editor; raises engine.ValidationError (storing nothing) if invalid."""
        self.store.session(session_id)
        workflow = loom_engine.loads(yaml, "<editor>")
        return self.store.add_version(session_id, next_version(self.store.version(session_id), yaml, workflow,
                                                                 "edit"))

    def restore(self, session_id: str, number: int) -> Version:
        """A new version whose text is version `number`'s."""
        old = self.store.version(session_id, number)
        result = check(old.yaml)
        if not result.valid:  # valid when stored; only a language change since could break it
            raise loom_engine.ValidationError([loom_engine.Problem(**e) for e in result.errors])
        return self.store.add_version(session_id, next_version(self.store.version(session_id), old.yaml,
                                                                 result.workflow, "restore"))

    def save(self, session_id: str, name: str | None = None) -> SavedWorkflow:
        """The current version into the catalog, under `name` (the workflow's own name by default)."""
        current = self.store.version(session_id)
        if current is None:
            raise loom_engine.ValidationError([loom_engine.Problem(
                "", "this session has no valid version yet", hint="describe a workflow first, or save an edit")])
        source = current.yaml
        if name is not None and name != loom_engine.loads(source).name:
            source = _renamed(source, name)
        return self.catalog.save(source, name=name)


def _renamed(source: str, name: str) -> str:
    """The document with its top-level `name:` replaced (a save under another name)."""
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("name:"):
            lines[index] = f"name: {name}\n"
            break
    return "".join(lines)


def _title(text: str) -> str:
    first = " ".join(text.split())
    return first[:60] + ("..." if len(first) > 60 else "")


__all__ = ["Builder"]
