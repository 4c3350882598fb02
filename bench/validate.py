"""How fast a workflow is checked, and what `loom validate` drags in at start-up.

    python bench/validate.py

(a) cold `loom validate FILE` in a fresh process, median of 7 runs (target <= 0.5 s);
(b) `engine.loads` of a generated 500-step workflow in this process, median of 20 runs
    after a warm-up, with the compiled-expression cache cleared before each run so every
    expression is compiled again (target <= 50 ms);
(c) which heavy modules `loom validate` imports (target: none of litellm, gradio, mlflow, celery).
Exit status 0 only when every target is met.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_TARGET_S = 0.5
LOADS_TARGET_MS = 50.0
STEPS = 500
HEAVY = ("litellm", "gradio", "mlflow", "celery")

FALLBACK = """\
loom: 1
name: url-digest
inputs:
  url: {type: string}
steps:
  - {id: fetch, type: http, url: "${{ inputs.url }}"}
  - {id: answer, type: reply, text: "HTTP ${{ steps.fetch.output.status }}"}
"""


def loom_command() -> list[str]:
    script = shutil.which("loom", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "engine.cli"]


def sample_file(folder: Path) -> Path:
    example = ROOT / "examples" / "url-digest.yaml"
    if example.exists():
        return example
    path = folder / "url-digest.yaml"
    path.write_text(FALLBACK)
    return path


def cold_validate(file: Path, runs: int = 7) -> float:
    command = [*loom_command(), "validate", str(file)]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"loom validate failed on {file}:\n{result.stdout}{result.stderr}")
    return statistics.median(times)


def heavy_imports(file: Path) -> list[str]:
    """Top-level packages among HEAVY that `loom validate` imports, read from -X importtime."""
    command = [sys.executable, "-X", "importtime", "-m", "engine.cli", "validate", str(file)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    imported = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return sorted(imported & set(HEAVY))


def generated_workflow(steps: int = STEPS) -> str:
    """A realistic long workflow: inputs, every few steps an `if` or an http call, each
    step reading earlier ones, so the reference and ordering checks have work to do."""
    lines = [
        "loom: 1",
        "name: long-chain",
        "inputs:",
        "  url: {type: string, default: 'https://example.org'}",
        "  n: {type: integer, default: 3}",
        "defaults: {model: openai/gpt-4o-mini, timeout: 30s, retry: {max_attempts: 2, on: [timeout]}}",
        "steps:",
        "  - {id: s0, type: set, values: {v: '${{ inputs.n }}'}}",
    ]
    count = 1
    while count < steps:
        i = count
        kind = i % 5
        if kind == 0:
            lines += [
                f"  - id: s{i}",
                "    type: if",
                f"    condition: ${{{{ steps.s{i - 1}.output.v > inputs.n }}}}",
                "    then:",
                f"      - {{id: s{i + 1}, type: reply, text: 'big ${{{{ steps.s{i - 1}.output.v }}}}'}}",
                "    else:",
                f"      - {{id: s{i + 2}, type: set, values: {{v: '${{{{ steps.s{i - 1}.output.v + 1 }}}}'}}}}",
            ]
            count += 3
        elif kind == 1:
            lines += [
                f"  - id: s{i}",
                "    type: http",
                "    url: ${{ inputs.url }}",
                f"    query: {{page: '${{{{ steps.s0.output.v }}}}', step: '{i}'}}",
                "    retry: {max_attempts: 3, backoff: exponential, on: [timeout, http_5xx]}",
            ]
            count += 1
        elif kind == 2:
            lines.append(f"  - {{id: s{i}, type: set, values: {{v: '${{{{ size(steps.s{i - 1}.status) + {i} }}}}'}},"
                         f" when: '${{{{ steps.s{i - 1}.status == \"succeeded\" }}}}'}}")
            count += 1
        else:
            lines.append(f"  - {{id: s{i}, type: set, values: {{v: '${{{{ inputs.n * {i} }}}}',"
                         f" note: 'step {i} of ${{{{ run.workflow }}}}'}}}}")
            count += 1
    lines += ["outputs:", f"  last: ${{{{ steps.s{count - 1}.status }}}}"]
    return "\n".join(lines) + "\n"


def loads_time(text: str, runs: int = 20) -> tuple[float, float]:
    """Median ms of `engine.loads`: with the expression cache cleared each time, and warm."""
    import engine
    from engine.expressions.compiler import compile_expression

    workflow = engine.loads(text)  # warm-up; also proves the text is valid
    assert sum(1 for _ in workflow.walk()) >= STEPS
    cold, warm = [], []
    for _ in range(runs):
        compile_expression.cache_clear()
        started = time.perf_counter()
        engine.loads(text)
        cold.append((time.perf_counter() - started) * 1000)
    for _ in range(runs):
        started = time.perf_counter()
        engine.loads(text)
        warm.append((time.perf_counter() - started) * 1000)
    return statistics.median(cold), statistics.median(warm)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        file = sample_file(Path(folder))
        cold = cold_validate(file)
        heavy = heavy_imports(file)
    text = generated_workflow()
    fresh_ms, warm_ms = loads_time(text)
    results = [
        (f"cold `loom validate {file.name}` (median of 7)", f"{cold:.3f} s", f"<= {COLD_TARGET_S} s",
         cold <= COLD_TARGET_S),
        (f"engine.loads, {STEPS}-step workflow, {len(text) // 1024} KiB (median of 20)", f"{fresh_ms:.1f} ms",
         f"<= {LOADS_TARGET_MS:.0f} ms", fresh_ms <= LOADS_TARGET_MS),
        ("heavy modules imported by `loom validate`", ", ".join(heavy) or "none",
         "none of " + ", ".join(HEAVY), not heavy),
    ]
    width = max(len(r[0]) for r in results)
    for name, figure, target, ok in results:
        print(f"{name:<{width}}  {figure:>10}  target {target:<30} {verdict(ok)}")
    print(f"{'  (same, expressions already compiled)':<{width}}  {warm_ms:>7.1f} ms")
    return 0 if all(r[3] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
