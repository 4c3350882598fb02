"""A tracer writing to the test's own MLflow store under its LOOM_HOME, and a loopback model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine.runtime.store import SqlStore
from engine.tracing import Tracer, Tracking
from tests.peers.local_server import LocalServer, Received
from tests.peers.openai import completion

SECRET = "tok-7Hq93-zebra-lantern"


@pytest.fixture
def model(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The loopback server as an OpenAI-compatible model (chat completions) that also echoes
    requests to `/echo` back as JSON, headers included."""
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_API_BASE", server.url + "/v1")

    def handle(request: Received):
        if request.path.startswith("/v1/chat/completions"):
            prompt = request.json()["messages"][-1]["content"]
            return completion(f"answer to {prompt}", prompt_tokens=10 + len(prompt), completion_tokens=7)
        if request.path.startswith("/fail"):
            return 500, {}, "down"
        return 200, {}, {"path": request.path, "headers": request.headers}

    server.handle = handle
    return server


@pytest.fixture
def services(loom_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[engine.Services]:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # MLflow sets it process-wide
    loom_home.mkdir(parents=True, exist_ok=True)
    store = SqlStore(f"sqlite:///{loom_home / 'loom.db'}")
    yield engine.Services(store=store, secrets={"TOKEN": SECRET}, http_allow=frozenset({"127.0.0.1"}))
    store.close()


@pytest.fixture
def tracer(services: engine.Services, loom_home: Path) -> Iterator[Tracer]:
    tracer = Tracer(services, tracking=Tracking(loom_home))
    yield tracer
    tracer.close()


def read_traces(tracer: Tracer) -> list:
    """Every trace of the runs experiment, read back from the tracking store, oldest first."""
    import mlflow

    tracer.flush()
    experiment = tracer.tracking.experiment(tracer.experiment)
    traces = mlflow.search_traces(locations=[experiment], return_type="list")
    return sorted(traces, key=lambda t: t.info.request_time)


def label(span) -> str:
    """A step span's journal key (`each[1]/summarize`), or the name of a root or group span."""
    return span.attributes.get("loom.key") or span.name


def tree(trace) -> dict[str, list[str]]:
    """Span label -> labels of its children, in start order."""
    by_id = {span.span_id: span for span in trace.data.spans}
    children: dict[str, list[str]] = {label(span): [] for span in trace.data.spans}
    for span in sorted(trace.data.spans, key=lambda s: s.start_time_ns):
        if span.parent_id is not None:
            children[label(by_id[span.parent_id])].append(label(span))
    return children


def span(trace, wanted: str):
    return next(s for s in trace.data.spans if label(s) == wanted)
