"""How long a builder turn spends outside the model call, for a 50-step workflow.

    python bench/builder.py

Each turn is a real `Builder.send` on a SQLite database (the server's `SqlStore` settings) in a temporary folder:
read the session, build the prompt, parse the answer, load and validate the draft, diff it
against the current 50-step version, summarize the changes and capabilities, and persist
the turn. The model is a scripted stand-in installed at the one seam every builder call
goes through (`chatbuilder.model.complete`); the time spent inside it is measured and
subtracted, so the figure is the builder's own overhead. Turns alternate between two
variants of the workflow, so every turn stores a new version. Median of the repeats
after warm-up; target <= 25 ms. Exit status 0 only when the target is met.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chatbuilder.model as model_seam  # noqa: E402
from chatbuilder import Builder  # noqa: E402
from engine.catalog import Catalog  # noqa: E402
from engine.runtime.store import SqlStore  # noqa: E402

STEPS = 50
REPEATS = 40
WARMUP = 5
TARGET_MS = 25.0


def workflow(variant: int) -> str:
    lines = ["loom: 1", f"name: bench-{STEPS}", "description: A long pipeline.", "inputs:",
             "  url: {type: string, default: 'https://example.org'}",
             "triggers:", "  - {type: telegram, command: bench, args: [url]}",
             f"  - {{type: cron, schedule: '0 {variant % 24} * * 1-5'}}", "steps:"]
    for index in range(STEPS):
        kind = index % 4
        if kind == 0:
            lines += [f"  - id: fetch_{index}", "    type: http", f"    url: https://api{index}.example.com/items",
                      f"    retry: {{max_attempts: {3 + variant}}}"]
        elif kind == 1:
            lines += [f"  - id: think_{index}", "    type: llm", "    model: openai/gpt-4o-mini",
                      f"    prompt: 'Summarize: ${{{{ steps.fetch_{index - 1}.output.text }}}}'"]
        elif kind == 2:
            lines += [f"  - id: keep_{index}", "    type: set",
                      f"    values: {{n: '${{{{ size(steps.think_{index - 1}.output.text) + {variant} }}}}'}}"]
        else:
            lines += [f"  - id: tell_{index}", "    type: send", "    channel: whatsapp",
                      "    to: ${{ secrets.WHATSAPP_TO }}", f"    text: 'Step {index} done'"]
    lines += ["  - {id: answer, type: reply, text: done}"]
    return "\n".join(lines) + "\n"


class ScriptedModel:
    """Answers every call at once with the next variant, and keeps the time spent inside it."""

    def __init__(self) -> None:
        self.turn = 0
        self.seconds = 0.0

    async def complete(self, model, messages, **options):
        started = time.perf_counter()
        self.turn += 1
        answer = model_seam.ModelAnswer(json.dumps({"reply": "Updated.", "yaml": workflow(self.turn % 2)}))
        self.seconds += time.perf_counter() - started
        return answer


async def main() -> int:
    scripted = ScriptedModel()
    model_seam.complete = scripted.complete
    model_seam.supports_structured_output = lambda model: True  # LiteLLM's table is not what is measured
    with tempfile.TemporaryDirectory() as home:
        store = SqlStore(f"sqlite:///{Path(home) / 'loom.db'}")  # WAL and synchronous=NORMAL, as served
        db = store.engine
        builder = Builder(db, catalog=Catalog(db, files=None), model="openai/bench")
        session = builder.create_session("bench")
        samples = []
        for repeat in range(WARMUP + REPEATS):
            scripted.seconds = 0.0
            started = time.perf_counter()
            turn = await builder.send(session.id, f"change the schedule, take {repeat}")
            elapsed = time.perf_counter() - started - scripted.seconds
            assert turn.valid and turn.version == repeat + 1, turn.errors
            if repeat >= WARMUP:
                samples.append(elapsed * 1000)
        versions = len(builder.versions(session.id))
        store.close()
    median = statistics.median(samples)
    print(f"builder turn outside the model, {STEPS}-step workflow ({len(workflow(0).splitlines())} lines), "
          f"{REPEATS} turns after {WARMUP} warm-up, {versions} versions stored:")
    print(f"  median {median:.1f} ms   p90 {statistics.quantiles(samples, n=10)[-1]:.1f} ms   "
          f"min {min(samples):.1f} ms   max {max(samples):.1f} ms   (target <= {TARGET_MS:.0f} ms)")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
