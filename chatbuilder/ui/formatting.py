"""Plain functions that turn the builder's and the engine's objects into what the UI shows.

No Gradio here, so every rule about what a person reads is tested without a browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

RUN_STATUSES = ("queued", "running", "waiting", "succeeded", "failed", "cancelled")
ACTIVE_STATUSES = ("queued", "running")
TIMELINE_HEADERS = ["step", "path", "type", "status", "duration", "attempts", "tokens", "cost", "error"]
RUNS_HEADERS = ["run", "workflow", "status", "started", "finished"]
WORKFLOWS_HEADERS = ["name", "version", "enabled", "description", "triggers"]
VERSIONS_HEADERS = ["version", "source", "changes", "created"]


def _field(item: Any, name: str, default: Any = None) -> Any:
    """Errors arrive as dicts (the builder, the API) or as engine.Problem objects."""
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


# ---- validation -------------------------------------------------------------------------

def format_problem(problem: Any) -> str:
    """`line 7, col 5: steps[0].url: MESSAGE (hint: ...)`."""
    line, column = _field(problem, "line"), _field(problem, "column")
    where = f"line {line}, col {column}" if line and column else f"line {line}" if line else "document"
    text = f"{where}: {_field(problem, 'path') or '(document)'}: {_field(problem, 'message')}"
    hint = _field(problem, "hint")
    return f"{text} (hint: {hint})" if hint else text


def format_problems(problems: Iterable[Any]) -> str:
    return "\n".join(format_problem(p) for p in problems)


def validation_markdown(valid: bool, problems: Iterable[Any] = ()) -> str:
    """The badge under the editor: valid, or every problem on its own line with its line number."""
    problems = list(problems)
    if valid:
        return "**✓ Valid workflow**"
    if not problems:
        return "**✗ Invalid workflow**"
    lines = "\n".join(f"- `{format_problem(p)}`" for p in problems)
    return f"**✗ Invalid workflow: {len(problems)} problem(s)**\n\n{lines}"


# ---- chat -------------------------------------------------------------------------------

def chat_history(messages: Iterable[Any]) -> list[dict[str, str]]:
    """Builder messages as Gradio 6 chat messages (role user or assistant)."""
    history = []
    for message in messages:
        role = "user" if _field(message, "role") == "user" else "assistant"
        content = _field(message, "content") or ""
        version = _field(message, "version")
        if role == "assistant" and version:
            content = f"{content}\n\n*(version {version})*"
        history.append({"role": role, "content": content})
    return history


def message_text(content: Any) -> str:
    """Gradio 6 may hand a message's content over as a list of parts; keep the text."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "")
    if isinstance(content, Iterable):
        return "".join(message_text(part) for part in content)
    return "" if content is None else str(content)


def session_choices(sessions: Iterable[Any]) -> list[tuple[str, str]]:
    """Dropdown choices (label, id), newest first as the builder lists them."""
    choices = []
    for session in sessions:
        title = _field(session, "title") or "Untitled"
        version = _field(session, "version")
        suffix = f" · v{version}" if version else ""
        choices.append((f"{title}{suffix} · {_moment(_field(session, 'updated_at'))}", str(_field(session, "id"))))
    return choices


# ---- versions and capabilities ----------------------------------------------------------

def version_rows(versions: Iterable[Any]) -> list[list[Any]]:
    """Newest first: number, where it came from, what changed, when."""
    rows = []
    for version in versions:
        changes = _field(version, "changes")
        summary = (_field(changes, "text") if changes is not None else "") or ""
        rows.append([_field(version, "number"), _field(version, "source") or "",
                     summary.replace("\n", "; "), _moment(_field(version, "created_at"))])
    return sorted(rows, key=lambda row: row[0] or 0, reverse=True)


def version_choices(versions: Iterable[Any]) -> list[tuple[str, int]]:
    return [(f"v{row[0]} · {row[1]}" + (f" · {row[2][:60]}" if row[2] else ""), row[0])
            for row in version_rows(versions)]


def diff_markdown(version: Any) -> str:
    """A version's heading, its change summary and its unified diff against the version before."""
    number, source, diff = _field(version, "number"), _field(version, "source"), _field(version, "diff") or ""
    summary = _field(_field(version, "changes"), "text") if _field(version, "changes") is not None else ""
    heading = f"**v{number} · {source}**" + (f": {summary}" if summary else "")
    if not diff.strip():
        body = "*The first version: nothing to compare with.*" if number == 1 else "*Same text as the version before.*"
    else:
        body = f"```diff\n{diff.rstrip()}\n```"
    return f"{heading}\n\n{body}"


CAPABILITY_LABELS = (
    ("domains", "Domains contacted"),
    ("channels", "Channels that send"),
    ("secrets", "Secrets used"),
    ("models", "Models"),
    ("triggers", "Triggers"),
)


def _is_new(new: Any, kind: str, value: Any) -> bool:
    """`new` is the capabilities added over the previous version (an object or its dict), or None."""
    marked = _field(new, kind) if new is not None else None
    if isinstance(marked, bool):
        return marked and value is True
    return value in (marked or ())


def capabilities_markdown(capabilities: Any) -> str:
    """What this version can do; anything new since the previous version is marked "(new)" and bold."""
    if capabilities is None:
        return "*No version yet.*"
    new = _field(capabilities, "new")
    lines = []
    for kind, label in CAPABILITY_LABELS:
        values = list(_field(capabilities, kind) or ())
        shown = [f"**{value} (new)**" if _is_new(new, kind, value) else f"{value}" for value in values]
        lines.append(f"- {label}: {', '.join(shown) if shown else 'none'}")
    code = bool(_field(capabilities, "code_execution"))
    code_text = "yes" if code else "no"
    if code and _is_new(new, "code_execution", True):
        code_text = "**yes (new)**"
    lines.insert(3, f"- Code execution: {code_text}")
    return "\n".join(lines)


# ---- tests ------------------------------------------------------------------------------

def case_results_markdown(cases: Iterable[Any]) -> str:
    """One line per test case: PASS/FAIL, its name, and why it failed."""
    cases = list(cases)
    if not cases:
        return "This workflow has no `tests:`. Add some to check it offline."
    lines = []
    for case in cases:
        passed = _field(case, "passed")
        lines.append(f"- {'✓ PASS' if passed else '✗ FAIL'} {_field(case, 'name')}")
        lines.extend(f"    - {failure}" for failure in _field(case, "failures") or ())
    passed = sum(bool(_field(c, "passed")) for c in cases)
    header = f"**Tests: {passed} passed, {len(cases) - passed} failed**"
    return header + "\n\n" + "\n".join(lines)


# ---- workflows --------------------------------------------------------------------------

def trigger_endpoints(workflow: Any, now: datetime | None = None) -> list[str]:
    """How each trigger reaches the workflow: a URL, a bot command, a message pattern, a schedule."""
    name = workflow.name
    lines = []
    for trigger in workflow.triggers:
        kind = trigger.type
        if kind == "webhook":
            lines.append(f"Webhook: `POST /api/v1/workflows/{name}/runs` (auth: {trigger.auth})")
        elif kind == "telegram":
            args = " ".join(f"<{arg}>" for arg in trigger.args)
            lines.append(f"Telegram: `/{trigger.command}{' ' + args if args else ''}`")
        elif kind == "whatsapp":
            what = f"message matching `{trigger.pattern}`" if trigger.pattern else f"`{trigger.command} ...`"
            lines.append(f"WhatsApp: {what}")
        elif kind == "cron":
            lines.append(f"Schedule: `{trigger.schedule}` ({trigger.timezone}), next {_next_fire(trigger, now)}")
    if not any(t.type == "webhook" for t in workflow.triggers):
        lines.append(f"REST API: `POST /api/v1/workflows/{name}/runs` (API key)")
    return lines


def _next_fire(trigger: Any, now: datetime | None) -> str:
    from zoneinfo import ZoneInfo

    from croniter import croniter

    zone = ZoneInfo(trigger.timezone)
    start = (now or datetime.now(UTC)).astimezone(zone)
    return croniter(trigger.schedule, start).get_next(datetime).strftime("%Y-%m-%d %H:%M %Z")


def trigger_summary(workflow: Any) -> str:
    parts = []
    for trigger in workflow.triggers:
        detail = {"telegram": lambda t: f"/{t.command}", "cron": lambda t: t.schedule,
                  "whatsapp": lambda t: t.command or "pattern", "webhook": lambda t: t.auth}[trigger.type](trigger)
        parts.append(f"{trigger.type} {detail}")
    return ", ".join(parts) or "manual only"


def workflow_rows(saved: Iterable[Any]) -> list[list[Any]]:
    rows = []
    for item in saved:
        try:
            workflow = item.workflow
            description, triggers = workflow.description or "", trigger_summary(workflow)
        except Exception as exc:  # a stored version the current language rejects must not hide the others
            description, triggers = f"(cannot be loaded: {str(exc).splitlines()[0]})", ""
        rows.append([item.name, item.version, "yes" if item.enabled else "no", description, triggers])
    return rows


# ---- runs -------------------------------------------------------------------------------

def run_rows(records: Iterable[Any]) -> list[list[Any]]:
    return [[r.run_id, r.workflow, r.status, _moment(r.started_at), _moment(r.finished_at)] for r in records]


def timeline_rows(steps: Iterable[Any]) -> list[list[Any]]:
    """One row per step execution, in journal order."""
    rows = []
    for step in steps:
        tokens = sum((step.usage or {}).get(k, 0) for k in ("input_tokens", "output_tokens"))
        error = (step.error or {}).get("message", "") if step.error else ""
        path = step.key if step.key != step.step_id else ""  # only steps in loops and branches need it
        duration = "" if step.status == "waiting" else format_duration(step.duration_ms)  # it has not ended
        rows.append([step.step_id, path, step.type, step.status, duration,
                     step.attempts, tokens or "", f"${step.cost_usd:.6f}" if step.cost_usd else "", error])
    return rows


def run_summary_markdown(result: Any, active: bool = False) -> str:
    """Header of a run: its status (live while it runs), usage, error, replies and outputs."""
    if result is None:
        return "*Select a run.*"
    status = result.status + (" (live)" if active else "")
    usage = result.usage
    lines = [f"### Run `{result.run_id}` · {result.workflow} · **{status}**",
             f"{len(result.steps)} step(s) · {usage.input_tokens + usage.output_tokens} tokens"
             f" · ${usage.cost_usd:.6f}"]
    if result.error:
        where = f" (step `{result.error.get('step')}`)" if result.error.get("step") else ""
        lines.append(f"**Error{where}:** {result.error.get('message')}")
    if result.replies:
        lines.append("**Replies:**\n" + "\n".join(f"> {reply}" for reply in result.replies))
    if result.outputs:
        lines.append("**Outputs:**\n```json\n" + json.dumps(result.outputs, indent=2, default=str) + "\n```")
    return "\n\n".join(lines)


def pending_approval(journal: Mapping[str, Any]) -> Any | None:
    """The journal record of the approval a run waits for (its output is the request), or None."""
    for record in journal.values():
        if record.status == "waiting" and record.type == "approval" and isinstance(record.output, Mapping):
            return record
    return None


def approval_markdown(record: Any) -> str:
    """What the approver is asked, who may answer, since when and until when."""
    request = record.output
    message = str(request.get("message") or "").strip() or "(no message)"
    approvers = ", ".join(f"`{name}`" for name in request.get("approvers") or ()) or "anyone with access"
    asked = f"Asked {_moment(request.get('requested_at'))} UTC"
    if request.get("expires_at"):
        asked += f" · expires {_moment(request['expires_at'])} UTC"
    quoted = "\n".join(f"> {line}" for line in message.splitlines())
    return (f"### Waiting for approval · step `{record.step_id}`\n\n{quoted}\n\n"
            f"**Approvers:** {approvers}\n\n{asked}")


def format_duration(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 1:
        return "<1 ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    return f"{int(ms // 60_000)} min {ms % 60_000 / 1000:.0f} s"


def _moment(value: Any) -> str:
    """Timestamps arrive as datetimes or ISO strings; show them to the second, in UTC."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
