"""A run that needs a secret or connection nobody configured fails before its first step,
naming each missing one and where to set it."""

from __future__ import annotations

import engine
from engine.connections import Connection
from engine.runtime import preflight

NEEDY = """
loom: 1
name: needy
triggers:
  - {type: webhook, auth: hmac, secret: HOOK_KEY}
steps:
  - id: first
    type: set
    values: {started: true}
  - id: call
    type: http
    url: "https://api.example.org/items?key=${{ secrets.API_TOKEN }}"
    headers: {Authorization: "Bearer ${{ secrets.OTHER_TOKEN }}"}
  - id: query
    type: sql
    connection: SHOP_DB
    query: SELECT 1
"""


def services(**kwargs) -> engine.Services:
    return engine.Services(**{"store": engine.MemoryStore(), **kwargs})


def test_requirements_name_every_secret_and_connection_once():
    found = preflight.requirements(engine.loads(NEEDY))
    assert found.secrets == {"API_TOKEN", "OTHER_TOKEN", "HOOK_KEY"}
    assert [(need.name, need.kind) for need in found.connections] == [("SHOP_DB", "sql")]


async def test_a_run_missing_them_fails_before_its_first_step_naming_each():
    store = engine.MemoryStore()
    result = await engine.run(engine.loads(NEEDY), services=services(store=store, secrets={"HOOK_KEY": "k" * 8}))
    assert result.status == "failed"
    assert result.error["type"] == "missing"
    message = result.error["message"]
    for name in ("API_TOKEN", "OTHER_TOKEN", "SHOP_DB"):
        assert name in message
    assert "loom secrets set API_TOKEN" in message and "LOOM_SECRET_API_TOKEN" in message
    assert "loom connections add SHOP_DB --kind sql" in message
    assert "HOOK_KEY" not in message
    assert result.steps == []  # not even the harmless first step ran


def test_a_connection_of_the_wrong_kind_is_named_as_such():
    wrong = Connection.parse("SHOP_DB", "http", {"base_url": "https://shop.example.org"})
    missing = preflight.missing(engine.loads(NEEDY), services(
        secrets={"API_TOKEN": "tok-1234", "OTHER_TOKEN": "tok-5678", "HOOK_KEY": "hook-key"},
        connections={"SHOP_DB": wrong}))
    assert [(m.name, m.problem) for m in missing] == [("SHOP_DB", "is a http connection, not sql")]


def test_a_secret_holding_a_database_url_stands_in_for_a_sql_connection():
    missing = preflight.missing(engine.loads(NEEDY), services(
        secrets={"API_TOKEN": "tok-1234", "OTHER_TOKEN": "tok-5678", "HOOK_KEY": "hook-key",
                 "SHOP_DB": "sqlite:///shop.db"}))
    assert missing == []


async def test_loom_test_runs_skip_it_since_their_steps_are_mocked():
    workflow = engine.loads(NEEDY + """
tests:
  - name: mocked
    mocks:
      call: {status: 200, headers: {}, text: "", json: null, elapsed_ms: 1}
      query: {rows: [], rowcount: 0}
""")
    from engine.testing import run_tests

    [case] = await run_tests(workflow)
    assert case.passed, case.failures
