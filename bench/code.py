"""What a `code` step costs: its overhead through the engine against a bare interpreter start.

    python bench/code.py

Measured in the same run on this machine, interleaved so a neighbour's load spike hits both
sides alike: a one-step workflow whose code step prints `1` (bubblewrap, the bootstrap, the
engine), and the bare `python -I -S -c 'print(1)'` subprocess it cannot be cheaper than.
Then the wall time of 20 code steps at once (a for_each with concurrency 20).
Target (issue 7): p50 <= 60 ms per code step on the 2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

# This directory holds engine.py, a benchmark named like the package it measures: import the package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

RUNS = 50
CONCURRENT = 20

ONE_STEP = """loom: 1
name: code-bench
steps:
  - {id: one, type: code, source: "print(1)"}
outputs:
  one: ${{ steps.one.output }}
"""

MANY = f"""loom: 1
name: code-bench-many
steps:
  - id: each
    type: for_each
    items: ${{{{ [{", ".join(map(str, range(CONCURRENT)))}] }}}}
    concurrency: {CONCURRENT}
    steps:
      - id: echo
        type: code
        inputs: {{n: "${{{{ item }}}}"}}
        source: "import json\\nprint(json.dumps(inputs['n']))"
"""


async def code_step(workflow, services) -> float:
    import engine

    started = time.perf_counter()
    result = await engine.run(workflow, services=services)
    elapsed = time.perf_counter() - started
    assert result.succeeded and result.outputs == {"one": 1}, result.error
    return elapsed


async def bare_python(python: str) -> float:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(python, "-I", "-S", "-c", "print(1)", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    elapsed = time.perf_counter() - started
    assert out == b"1\n"
    return elapsed


async def measure() -> None:
    import engine
    from engine.sandbox.bubblewrap import Bubblewrap
    from engine.sandbox.process import interpreter

    services = engine.Services(store=engine.MemoryStore(), sandbox=Bubblewrap())
    workflow, python = engine.loads(ONE_STEP), interpreter().executable
    for _ in range(5):  # the sandbox's probe, the page cache, the interpreter's imports
        await code_step(workflow, services)
        await bare_python(python)
    steps, bare = [], []
    for _ in range(RUNS):
        steps.append(await code_step(workflow, services))
        bare.append(await bare_python(python))
    p50 = _line("code step printing 1, through the engine (bubblewrap)", steps)
    print(f"  {_verdict(p50 <= 0.060)} (target p50 <= 60 ms)")
    _line("bare `python -I -S -c 'print(1)'` subprocess", bare)
    print(f"  the sandbox, bootstrap and engine add {(p50 - statistics.median(bare)) * 1000:.1f} ms at p50")

    many = engine.loads(MANY)
    started = time.perf_counter()
    result = await engine.run(many, services=services)
    wall = time.perf_counter() - started
    assert result.succeeded and result.steps[-1].output == list(range(CONCURRENT)), result.error
    print(f"{CONCURRENT} concurrent code steps (for_each, concurrency {CONCURRENT}): {wall * 1000:.0f} ms wall, "
          f"{wall / CONCURRENT * 1000:.1f} ms per step")


def _line(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50, p90 = statistics.median(ordered), ordered[int(len(ordered) * 0.9) - 1]
    print(f"{label}: p50 {p50 * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms over {len(samples)} runs")
    return p50


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    load = os.getloadavg()[0]
    print(f"Loomwork code step benchmark ({os.cpu_count()} cores, load average {load:.1f})")
    asyncio.run(measure())


if __name__ == "__main__":
    main()
