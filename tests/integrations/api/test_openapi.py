"""The API against its own OpenAPI schema: generated requests with a valid key find no server
error, and every route but health refuses a request without a key."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from integrations.context import Loom
from integrations.server import create_app

from .conftest import APPROVAL, HELLO, SIGNED

EXAMPLES = 12


@pytest.fixture
def app(loom: Loom, api_key: str) -> Iterator:
    app = create_app(loom, ui=False, components=False)
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as client:
        for text in (HELLO, SIGNED, APPROVAL):
            name = re.search(r"name: (\S+)", text).group(1)
            client.put(f"/api/v1/workflows/{name}", content=text, headers={"Content-Type": "application/yaml"})
        client.post("/api/v1/workflows/needs-ok/runs?wait=5", json={"inputs": {"amount": 1}})
        yield app


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_find_no_server_error(app, api_key: str, mode: GenerationMode):
    # Each operation gets its own bounded run (schemathesis' pytest plugin needs pytest < 9, so the
    # strategies are driven with hypothesis directly).
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    auth = {"Authorization": f"Bearer {api_key}"}

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            case.call_and_validate(headers={**(case.headers or {}), **auth}, checks=[not_a_server_error])

        try:
            no_server_error()
        except Unsatisfiable:
            # Negative mode has nothing to break in an operation without parameters or body (health).
            assert mode is GenerationMode.NEGATIVE and not operation.path_parameters and not operation.body, operation


def test_every_route_but_health_refuses_a_request_without_a_key(app):
    # Included routers are flattened by FastAPI's route contexts (app.routes holds the routers themselves).
    routes = [r for r in iter_route_contexts(app.routes)
              if r.path and r.path.startswith("/api/v1") and isinstance(r.original_route, APIRoute)]
    paths = {r.path for r in routes}
    assert {"/api/v1/workflows/{name}/runs", "/api/v1/runs/{run_id}/events", "/api/v1/workflows"} <= paths
    checked = 0
    with TestClient(app) as anonymous:
        for route in routes:
            path = re.sub(r"\{[^}]+\}", "hello", route.path)
            for method in route.methods - {"HEAD", "OPTIONS"}:
                response = anonymous.request(method, path, json={})
                if route.path == "/api/v1/health":
                    assert response.status_code == 200
                    continue
                assert response.status_code == 401, (method, route.path, response.status_code, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
                checked += 1
    assert checked >= 14
