"""The messages sent to the builder's model: instructions, reference, examples, history, request."""

from __future__ import annotations

from .examples import choose
from .reference import language_reference
from .types import Message

HISTORY = 12  # past messages sent along; older turns are summed up by the current version

INSTRUCTIONS = """\
You are Loomwork's workflow builder. A person describes an automation; you write it as one workflow
document in the Loomwork language below, or change the current version as asked. Rules:
- Always answer with the WHOLE document, never a fragment or a diff. Keep what the person did not ask to change.
- Use only the fields listed in the reference; ids are lowercase with underscores; expressions use ${{ }}.
- Put credentials in secrets.NAME (only in http, send, email, sql, code fields), never in llm prompts.
- Add a `tests:` block whose mocks cover every llm, http, send, email, sql and code step the test reaches.
- Your explanation is short (1-4 sentences): what the workflow does and what you changed."""

STRUCTURED = "Answer as JSON: {\"reply\": your explanation, \"yaml\": the whole workflow document}."
PLAIN = "Answer with your explanation, then the whole workflow in one ```yaml fenced block."


def messages_for(request: str, history: list[Message], current_yaml: str | None, *,
                 structured: bool) -> list[dict[str, str]]:
    examples = "\n\n".join(f"# Example: {e.name}\n{e.text.strip()}" for e in choose(request))
    system = (f"{INSTRUCTIONS}\n{STRUCTURED if structured else PLAIN}\n\n{language_reference()}\n\n"
              f"Examples of valid workflows:\n\n{examples}")
    out = [{"role": "system", "content": system}]
    out += [{"role": m.role, "content": m.content} for m in history[-HISTORY:]]
    if current_yaml:
        request = f"The current version of the workflow:\n```yaml\n{current_yaml.strip()}\n```\n\n{request}"
    out.append({"role": "user", "content": request})
    return out


def repair_message(errors: list[dict]) -> str:
    """The follow-up that sends a draft's exact problems back to the model."""
    lines = []
    for error in errors:
        where = f"line {error['line']}, column {error.get('column') or 1}" if error.get("line") else "document"
        text = f"- {where}: {error.get('path') or '(document)'}: {error['message']}"
        lines.append(f"{text} (hint: {error['hint']})" if error.get("hint") else text)
    return ("The workflow is invalid. Fix exactly these problems and answer again with the whole corrected "
            "document:\n" + "\n".join(lines))


__all__ = ["messages_for", "repair_message"]
