"""Hostile workflow documents sent to the server are refused, and the server keeps answering.

A 60 KB body of 30,000 nested `[` used to kill the whole process (a segmentation fault in
libyaml's C composer) from `PUT /api/v1/workflows/{name}` and from the builder's hand edit,
the route behind the UI's editor.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.loader.limits import MAX_ALIASES, MAX_BYTES, MAX_DEPTH
from tests.engine.loader.hostile import NESTINGS, billion_laughs, flow_sequences

from .conftest import HELLO, save

YAML = {"Content-Type": "application/yaml"}
DEEP = f"nesting is deeper than {MAX_DEPTH} levels"


def put(client: TestClient, body: str, name: str = "deep"):
    return client.put(f"/api/v1/workflows/{name}", content=body.encode(), headers=YAML)


def assert_still_serving(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code == 200
    assert save(client, HELLO)["name"] == "hello"


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_30k_levels_answer_422_and_the_server_lives_on(client: TestClient, kind: str):
    response = put(client, NESTINGS[kind](30_000))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert DEEP in error["message"] and isinstance(error["line"], int) and error["hint"]
    assert_still_serving(client)
    assert client.get("/api/v1/workflows/deep").status_code == 404  # nothing was stored


def test_100k_levels_answer_422(client: TestClient):
    response = put(client, flow_sequences(100_000))
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 3
    assert_still_serving(client)


def test_a_billion_laughs_answers_422(client: TestClient):
    response = put(client, billion_laughs())
    assert response.status_code == 422
    assert f"more than {MAX_ALIASES} alias expansions" in response.json()["errors"][0]["message"]
    assert_still_serving(client)


def test_a_5_mib_body_answers_413(client: TestClient):
    response = put(client, "a: [" + "[1], " * (5 * MAX_BYTES // 5) + "]\n")
    assert response.status_code == 413
    assert_still_serving(client)


def test_a_body_just_over_the_document_limit_answers_413(client: TestClient):
    response = put(client, "a: " + "x" * MAX_BYTES + "\n")
    assert response.status_code == 413
    assert_still_serving(client)


def test_the_builders_hand_edit_refuses_30k_levels(client: TestClient):
    session = client.post("/api/v1/builder/sessions", json={"title": "hostile"}).json()["id"]
    response = client.post(f"/api/v1/builder/sessions/{session}/versions", json={"yaml": flow_sequences(30_000)})
    assert response.status_code == 422, response.text
    assert DEEP in response.json()["errors"][0]["message"]
    assert client.get(f"/api/v1/builder/sessions/{session}/versions").json() == []
    assert_still_serving(client)
