"""The names an expression may use, and what each scope object contains."""

from __future__ import annotations

BASE_NAMES = frozenset({"inputs", "steps", "trigger", "run"})
TRIGGER_FIELDS = ("channel", "user", "chat_id", "text")
RUN_FIELDS = ("id", "workflow", "started_at")
ERROR_FIELDS = ("message", "type", "step")
STEP_RESULT_FIELDS = ("output", "status", "error")

MEMBERS = {"trigger": TRIGGER_FIELDS, "run": RUN_FIELDS, "error": ERROR_FIELDS}
