"""The server's tracing component: on, runs started by the app's runner are traced; off, nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from integrations.context import Loom
from integrations.settings import Settings
from integrations.tracing import component

WORKFLOW = """
loom: 1
name: hello
inputs:
  who: {type: string}
steps:
  - {id: greet, type: reply, text: "hello ${{ inputs.who }}"}
"""


@pytest.fixture(autouse=True)
def _own_tracking_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow sets it process-wide


async def test_the_component_traces_every_run_of_the_runner_into_loom_home(loom_home: Path):
    import mlflow

    loom = Loom.open(Settings(home=loom_home, tracing=True))
    tracing = component(loom.settings)
    await tracing.start(loom)
    run_id = await loom.runner.start(engine.loads(WORKFLOW), {"who": "ada"},
                                     trigger={"channel": "telegram", "user": "ada", "chat_id": "42"})
    assert (await loom.runner.wait(run_id, timeout=10)).status == "succeeded"
    await tracing.stop()  # writes what is pending

    client = mlflow.MlflowClient(f"sqlite:///{loom_home.resolve() / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("loomwork-runs")
    [trace] = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list")
    assert trace.info.tags["run_id"] == run_id
    assert trace.info.trace_metadata["mlflow.trace.session"] == "telegram:42"
    assert trace.info.trace_metadata["mlflow.trace.user"] == "ada"
    assert [e.attributes["text"] for e in trace.data.spans[0].events] == ["hello ada"]
    assert loom.runner.listeners == []
    await loom.stop()


async def test_with_tracing_off_runs_write_no_trace_and_mlflow_is_not_touched(loom_home: Path):
    settings = Settings.from_env({"LOOM_HOME": str(loom_home), "LOOM_TRACING": "off"})
    assert component(settings) is None
    loom = Loom.open(settings)
    run_id = await loom.runner.start(engine.loads(WORKFLOW), {"who": "ada"})

    assert (await loom.runner.wait(run_id, timeout=10)).status == "succeeded"
    assert not (loom_home / "mlflow.db").exists()
    assert not (loom_home / "mlflow-artifacts").exists()
    await loom.stop()
