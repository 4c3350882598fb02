"""`loom eval` against a scripted model on loopback, its metrics read back from MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbuilder.evaluation import INSTRUCTIONS, EvalSetError, load_cases, register_prompts
from chatbuilder.evaluation.prompts import using_instructions
from engine.cli import main
from engine.tracing import BUILDER, EVALUATION, Tracking
from tests.peers.local_server import LocalServer, Received
from tests.peers.openai import completion

BROKEN = """loom: 1
name: morning-post
triggers:
  - {type: cron, schedule: "0 7 * * *"}
steps:
  - {id: post, type: http, method: POST, urll: "https://hooks.example.com/x"}
"""
FIXED = BROKEN.replace("urll:", "url:")
WEBHOOK = """loom: 1
name: greet
triggers:
  - {type: webhook}
steps:
  - {id: hello, type: set, values: {text: hi}}
"""
CASES = """
- request: REQ-A every morning at 7 post to https://hooks.example.com/x
  triggers: [cron]
  steps: [http]
- request: REQ-B a webhook that summarizes what it receives
  triggers: [webhook]
  steps: [llm]
"""


@pytest.fixture
def tracking(loom_home: Path, monkeypatch: pytest.MonkeyPatch) -> Tracking:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow sets it process-wide
    monkeypatch.delenv("LOOM_BUILDER_MODEL", raising=False)
    return Tracking(loom_home)


@pytest.fixture
def scripted_model(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """REQ-A: a broken draft, then its repair; REQ-B: a valid draft without the expected llm step."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    def handle(request: Received):
        last = request.json()["messages"][-1]["content"]
        yaml = FIXED if "The workflow is invalid" in last else BROKEN if "REQ-A" in last else WEBHOOK
        return completion(json.dumps({"reply": "Here it is.", "yaml": yaml}), prompt_tokens=900, completion_tokens=80)

    server.handle = handle
    return server


def test_loom_eval_scores_a_model_and_the_offline_drafter_side_by_side(tmp_path, tracking, scripted_model,
                                                                          capsys):
    import mlflow

    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)

    code = main(["eval", "--set", str(cases), "--model", "openai/gpt-4o-mini", "--model", "offline",
                 "--api-base", scripted_model.url + "/v1", "--json"])

    assert code == 0
    model_report, offline_report = json.loads(capsys.readouterr().out)
    client = mlflow.MlflowClient(tracking.uri)
    stored = client.get_run(model_report["run_id"])
    assert stored.info.experiment_id == tracking.experiment(EVALUATION)
    assert stored.data.params["model"] == "openai/gpt-4o-mini"
    assert stored.data.metrics == pytest.approx({
        "valid_first_answer/mean": 0.5, "valid_after_repair/mean": 1.0, "model_calls/mean": 1.5,
        "expected_triggers/mean": 1.0, "expected_steps/mean": 0.5,
    })
    assert model_report["metrics"] == stored.data.metrics
    offline = client.get_run(offline_report["run_id"]).data.metrics
    assert offline["model_calls/mean"] == 0.0
    assert len(scripted_model.requests) == 3  # REQ-A twice (one repair), REQ-B once; offline asks nobody

    # The builder's turns are traced per session, the repair visible as a second model call.
    turns = mlflow.search_traces(locations=[tracking.experiment(BUILDER)], return_type="list")
    assert len(turns) == 4  # two requests, by the model and offline
    repaired = next(t for t in turns if "REQ-A" in (t.info.request_preview or "")
                    and t.info.token_usage)  # the offline drafter's turn asked no model
    calls = [s for s in repaired.data.spans if s.span_type == "CHAT_MODEL"]
    assert [s.name for s in sorted(calls, key=lambda s: s.start_time_ns)] == ["call 1", "call 2 (repair)"]
    assert repaired.info.trace_metadata["mlflow.trace.session"]
    assert repaired.info.token_usage == {"input_tokens": 1800, "output_tokens": 160, "total_tokens": 1960}


def test_prompts_get_a_new_version_only_when_their_text_changes(tracking):
    tracking.connect()

    first = register_prompts()
    again = register_prompts()
    with using_instructions("Write workflows. Be brief."):
        changed = register_prompts()

    assert again == first
    assert changed[INSTRUCTIONS] == first[INSTRUCTIONS] + 1
    import mlflow

    assert mlflow.genai.load_prompt(f"prompts:/{INSTRUCTIONS}/{changed[INSTRUCTIONS]}").template.startswith(
        "Write workflows. Be brief.")


def test_a_bad_evaluation_set_is_refused_with_the_file_and_case(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- request: fine\n- {request: '', steps: [http]}\n")

    with pytest.raises(EvalSetError, match=r"bad.yaml: case 2: `request` must be a non-empty string"):
        load_cases(bad)
    assert main(["eval", "--set", str(bad)]) == 2
    assert "case 2" in capsys.readouterr().err
