"""The builder's prompts in MLflow's prompt registry, one new version each time the text changes.

    versions = register_prompts()   # {"loomwork-builder-instructions": 3, "loomwork-builder-reference": 1}

The texts are the builder's own (`chatbuilder.prompt`, `chatbuilder.reference`), read, not copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

INSTRUCTIONS = "loomwork-builder-instructions"
REFERENCE = "loomwork-builder-reference"


def prompt_texts() -> dict[str, str]:
    from chatbuilder import prompt, reference

    return {
        INSTRUCTIONS: f"{prompt.INSTRUCTIONS}\n\n{prompt.STRUCTURED}\n{prompt.PLAIN}",
        REFERENCE: reference.language_reference(),
    }


def register_prompts() -> dict[str, int]:
    """Register each builder prompt whose text differs from its latest version; name -> current version."""
    import mlflow

    versions = {}
    for name, text in prompt_texts().items():
        latest = _latest(name)
        if latest is not None and latest.template == text:
            versions[name] = int(latest.version)
            continue
        registered = mlflow.genai.register_prompt(name=name, template=text,
                                                  commit_message="the builder's prompt as shipped",
                                                  tags={"project": "loomwork"})
        versions[name] = int(registered.version)
    return versions


def instructions(version: int) -> str:
    """The builder instructions as registered in `version` (what `--prompt-version` evaluates)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        registered = mlflow.genai.load_prompt(f"prompts:/{INSTRUCTIONS}/{version}")
    except MlflowException:
        raise LookupError(f"prompt '{INSTRUCTIONS}' has no version {version}; "
                          "`loom eval` registers the shipped text as the next version when it changes") from None
    return _instructions_part(registered.template)


def _instructions_part(text: str) -> str:
    """A registered text is the instructions followed by the two answer-format lines."""
    from chatbuilder import prompt

    tail = f"\n\n{prompt.STRUCTURED}\n{prompt.PLAIN}"
    return text[: -len(tail)] if text.endswith(tail) else text


@contextmanager
def using_instructions(text: str | None) -> Iterator[None]:
    """Draft with `text` as the builder's instructions for the duration (one eval, in its own process).

    The builder has no parameter for its instructions, so the evaluation swaps the module's
    text and puts it back; a `Builder(instructions=...)` seam would make this unnecessary.
    """
    if text is None:
        yield
        return
    from chatbuilder import prompt

    shipped = prompt.INSTRUCTIONS
    prompt.INSTRUCTIONS = text
    try:
        yield
    finally:
        prompt.INSTRUCTIONS = shipped


def _latest(name: str):
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.genai.load_prompt(f"prompts:/{name}@latest")
    except MlflowException:  # never registered
        return None
