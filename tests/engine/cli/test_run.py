"""`loom run`, `loom test` and `loom runs` as a user runs them: subprocesses with a real SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

HELLO = """loom: 1
name: hello
inputs:
  who: {type: string, default: world}
  times: {type: integer, default: 1}
steps:
  - {id: greet, type: reply, text: "Hello, ${{ inputs.who }} x${{ inputs.times }}!"}
  - {id: check, type: fail, when: "${{ inputs.who == 'nobody' }}", message: "nobody to greet"}
outputs:
  greeting: ${{ steps.greet.output.text }}
tests:
  - name: greets
    inputs: {who: Ada}
    expect: {status: succeeded, replies: ["Hello, Ada x1!"], outputs: {greeting: "Hello, Ada x1!"}}
"""


def loom(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_run_json_has_the_documented_shape(tmp_path: Path):
    file = tmp_path / "hello.yaml"
    file.write_text(HELLO)
    done = loom("run", str(file), "-i", "who=Ada", "-i", "times=3", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"run_id", "status", "outputs", "error", "replies", "steps", "usage"}
    assert result["status"] == "succeeded"
    assert result["replies"] == ["Hello, Ada x3!"]
    assert result["outputs"] == {"greeting": "Hello, Ada x3!"}
    assert [s["id"] for s in result["steps"]] == ["greet", "check"]
    assert set(result["steps"][0]) == {"id", "path", "status", "attempts", "duration_ms"}
    assert result["usage"] == {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}


def test_run_prints_replies_and_fails_with_exit_1(tmp_path: Path):
    file = tmp_path / "hello.yaml"
    file.write_text(HELLO)
    done = loom("run", str(file), "--inputs", '{"who": "nobody"}')
    assert done.returncode == 1
    assert "Hello, nobody x1!" in done.stdout
    assert "nobody to greet" in done.stderr


def test_run_rejects_bad_inputs_clearly(tmp_path: Path):
    file = tmp_path / "hello.yaml"
    file.write_text(HELLO)
    done = loom("run", str(file), "-i", "times=many")
    assert done.returncode == 1
    assert "input 'times' must be of type integer" in done.stderr


def test_run_by_name_finds_the_workflow_in_the_current_folder(tmp_path: Path):
    (tmp_path / "hello.yaml").write_text(HELLO)
    done = loom("run", "hello", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replies"] == ["Hello, world x1!"]


def test_runs_list_show_and_resume_of_a_finished_run(tmp_path: Path):
    file = tmp_path / "hello.yaml"
    file.write_text(HELLO)
    run_id = json.loads(loom("run", str(file), "--json").stdout)["run_id"]
    listed = json.loads(loom("runs", "list", "--json").stdout)
    assert listed[0]["run_id"] == run_id and listed[0]["status"] == "succeeded"
    assert set(listed[0]) == {"run_id", "workflow", "status", "started_at"}
    shown = json.loads(loom("runs", "show", run_id, "--json").stdout)
    assert [s["path"] for s in shown["steps"]] == ["greet", "check"]
    again = loom("runs", "resume", run_id)
    assert again.returncode == 1 and "already ended" in again.stderr


def test_loom_test_passes_every_example():
    examples = sorted(str(p) for p in (ROOT / "examples").glob("*.yaml"))
    done = loom("test", *examples)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout


def test_loom_test_reports_a_failing_case(tmp_path: Path):
    file = tmp_path / "hello.yaml"
    file.write_text(HELLO.replace('replies: ["Hello, Ada x1!"]', 'replies: ["Hi"]'))
    done = loom("test", str(file), "--json")
    assert done.returncode == 1
    case = json.loads(done.stdout)[0]["cases"][0]
    assert case["passed"] is False
    assert "replies: expected ['Hi'], got ['Hello, Ada x1!']" in case["failures"][0]


def test_loom_test_refuses_an_unmocked_network_step(tmp_path: Path):
    file = tmp_path / "fetch.yaml"
    file.write_text("""loom: 1
name: fetch
steps:
  - {id: get, type: http, url: "https://example.org"}
tests:
  - name: forgot the mock
    expect: {status: succeeded}
""")
    done = loom("test", str(file))
    assert done.returncode == 1
    assert "is not mocked" in done.stdout
