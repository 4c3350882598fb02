"""MLflow's UI under the app's origin: a real `mlflow server` sidecar behind the `/mlflow` proxy."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from integrations.context import Loom
from integrations.mlflow_ui import component
from integrations.server import create_app
from integrations.settings import Settings


def test_off_by_default_and_then_404(client: TestClient):
    answer = client.get("/mlflow/")

    assert answer.status_code == 404 and "LOOM_MLFLOW_UI=on" in answer.json()["detail"]
    assert client.post("/mlflow/ajax-api/2.0/mlflow/experiments/create", json={"name": "x"}).status_code == 404
    assert component(Settings()) is None


def test_no_sidecar_when_traces_go_to_a_remote_tracking_server():
    assert component(Settings(mlflow_ui=True, mlflow_tracking_uri="http://mlflow.internal:5000")) is None
    assert component(Settings(mlflow_ui=True)) is not None


def wait_until_served(client: TestClient, timeout: float = 180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get("/mlflow/health")
        if answer.status_code == 200:
            return answer
        assert answer.status_code == 503 and "starting" in answer.text, answer.text
        time.sleep(0.5)
    pytest.fail(f"MLflow's UI was not served within {timeout:.0f} s")


def test_the_sidecar_serves_mlflow_through_the_app_and_stops_with_it(loom_home: Path, server):
    loom = Loom.open(Settings(home=loom_home, tracing=False, mlflow_ui=True))
    with TestClient(create_app(loom, ui=False)) as app:
        starting = app.get("/mlflow/")
        assert starting.status_code == 503 and starting.headers["retry-after"] == "2"
        wait_until_served(app)
        sidecar = loom.extras["mlflow_ui"]

        page = app.get("/mlflow/")
        assert page.status_code == 200 and "<title>MLflow</title>" in page.text
        assert page.headers["x-frame-options"] == "SAMEORIGIN"  # fine: the page is on our origin now
        script = re.search(r'src="(static-files/[^"]+\.js)"', page.text).group(1)
        asset = app.get(f"/mlflow/{script}")
        assert asset.status_code == 200 and "javascript" in asset.headers["content-type"]
        assert app.get("/mlflow", follow_redirects=False).headers["location"] == "/mlflow/"

        # the UI's own API calls go through the proxy too, bodies included, into the tracer's store
        created = app.post("/mlflow/ajax-api/2.0/mlflow/experiments/create", json={"name": "through-the-proxy"},
                           headers={"Origin": "http://127.0.0.1:7860"})
        assert created.status_code == 200, created.text
        found = app.get("/mlflow/ajax-api/2.0/mlflow/experiments/get-by-name",
                        params={"experiment_name": "through-the-proxy"})
        assert found.json()["experiment"]["experiment_id"] == created.json()["experiment_id"]
        assert (loom_home / "mlflow.db").is_file()

        # MLflow's own cross-site protection still holds behind the proxy
        foreign = app.post("/mlflow/ajax-api/2.0/mlflow/experiments/create", json={"name": "evil"},
                           headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403

        # not an open proxy: a URL in the path stays a path on the sidecar
        elsewhere = app.get(f"/mlflow/http://127.0.0.1:{server.port}/steal")
        assert elsewhere.status_code == 404 and server.requests == []
        pid = sidecar.process.pid

    assert sidecar.state == "stopped"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
