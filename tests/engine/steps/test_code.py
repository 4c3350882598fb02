"""The `code` step through the engine: inputs, its timeout, retries, error kinds, secrets."""

from __future__ import annotations

import json
import time
from typing import Any

import engine
from engine.sandbox.base import Program
from engine.sandbox.bubblewrap import Bubblewrap

TOKEN = "tok-4f9a-very-secret"


def workflow(step: str, extra: str = "") -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: code-test
inputs:
  numbers: {{type: array, default: [1, 2, 3]}}
{extra}
steps:
  - id: calc
    type: code
{step}
outputs:
  result: ${{{{ steps.calc.output }}}}
""")


def source(text: str) -> str:
    return f"    source: {json.dumps(text)}"


async def run(wf: engine.Workflow, inputs: dict | None = None, **services: Any) -> engine.RunResult:
    services.setdefault("sandbox", Bubblewrap())
    return await engine.run(wf, inputs, services=engine.Services(store=engine.MemoryStore(), **services))


async def test_the_output_is_the_value_the_program_prints_from_rendered_inputs():
    wf = workflow("    inputs: {numbers: '${{ inputs.numbers }}', label: 'total of ${{ size(inputs.numbers) }}'}\n"
                  + source("import json\nprint(json.dumps({inputs['label']: sum(inputs['numbers'])}))"))
    result = await run(wf, {"numbers": [4, 5, 6]})
    assert result.succeeded, result.error
    assert result.outputs == {"result": {"total of 3": 15}}


async def test_the_steps_timeout_is_the_programs_time_limit():
    wf = workflow("    timeout: 1s\n" + source("import time\ntime.sleep(30)"))
    started = time.monotonic()
    result = await run(wf)
    assert result.status == "failed" and result.error["type"] == "timeout"
    assert "time limit of 1s" in result.error["message"]
    assert time.monotonic() - started < 5


async def test_the_workflows_default_timeout_applies():
    wf = workflow(source("while True:\n    pass"), extra="defaults: {timeout: 1s}")
    started = time.monotonic()
    result = await run(wf)
    assert result.error["type"] == "timeout" and time.monotonic() - started < 5


async def test_a_timed_out_attempt_is_retried_when_the_policy_says_so():
    wf = workflow("    timeout: 500ms\n    retry: {max_attempts: 3, on: [timeout], delay: 10ms, jitter: false}\n"
                  + source("import time\ntime.sleep(30)"))
    started = time.monotonic()
    result = await run(wf)
    assert result.error["type"] == "timeout"
    assert result.steps[0].attempts == 3
    assert 1.5 <= time.monotonic() - started < 8


async def test_a_program_error_is_not_retried_by_a_timeout_policy():
    wf = workflow("    retry: {max_attempts: 3, on: [timeout], delay: 10ms}\n" + source("raise ValueError('bad')"))
    result = await run(wf)
    assert result.error["type"] == "code" and result.steps[0].attempts == 1
    assert result.error["message"].startswith("ValueError: bad")


async def test_error_handlers_see_the_kind():
    step = (source("blob = bytearray(4 * 1024 ** 3)") + "\n    on_error:\n"
            "      - {id: handle, type: set, values: {kind: '${{ error.type }}'}}")
    wf = engine.loads(f"""
loom: 1
name: code-handled
steps:
  - id: calc
    type: code
{step}
outputs:
  kind: ${{{{ steps.handle.output.kind }}}}
""")
    result = await run(wf)
    assert result.succeeded and result.outputs == {"kind": "memory"}


async def test_secrets_in_inputs_are_masked_in_the_journal_when_echoed():
    store = engine.MemoryStore()
    wf = workflow("    inputs: {token: '${{ secrets.API_TOKEN }}'}\n"
                  + source("import json\nprint(json.dumps({'echo': inputs['token'], 'length': len(inputs['token'])}))"))
    services = engine.Services(store=store, secrets={"API_TOKEN": TOKEN}, sandbox=Bubblewrap())
    result = await engine.run(wf, services=services)
    assert result.succeeded, result.error
    journaled = (await store.journal(result.run_id))["calc"]
    assert journaled.output == {"echo": "***", "length": len(TOKEN)}
    assert TOKEN not in json.dumps(result.to_dict())


async def test_secrets_quoted_in_a_programs_error_are_masked():
    store = engine.MemoryStore()
    wf = workflow("    inputs: {token: '${{ secrets.API_TOKEN }}'}\n" + source("raise RuntimeError(inputs['token'])"))
    services = engine.Services(store=store, secrets={"API_TOKEN": TOKEN}, sandbox=Bubblewrap())
    result = await engine.run(wf, services=services)
    journaled = (await store.journal(result.run_id))["calc"]
    assert journaled.error is not None and "RuntimeError: ***" in journaled.error["message"]
    assert TOKEN not in json.dumps([result.error, journaled.error])


class Recording:
    """A Sandbox that records the program it is given: the step's side of the seam."""

    name = "recording"

    def __init__(self) -> None:
        self.programs: list[Program] = []

    async def run(self, program: Program) -> Any:
        self.programs.append(program)
        return 1


async def test_the_step_hands_the_sandbox_its_source_inputs_and_timeout():
    sandbox = Recording()
    wf = workflow("    timeout: 2m\n    inputs: {n: '${{ inputs.numbers[0] }}'}\n" + source("print(1)"))
    assert (await run(wf, sandbox=sandbox)).succeeded
    assert sandbox.programs == [Program("print(1)", {"n": 1}, sandbox.programs[0].limits)]
    assert sandbox.programs[0].limits.timeout == 120


async def test_without_a_timeout_the_program_gets_thirty_seconds():
    sandbox = Recording()
    assert (await run(workflow(source("print(1)")), sandbox=sandbox)).succeeded
    assert sandbox.programs[0].limits.timeout == 30
