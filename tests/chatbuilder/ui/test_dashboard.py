"""Browser test of the Dashboard tab over real runs, with MLflow's UI framed from the app's origin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

import engine
from engine.runtime.models import complete
from engine.runtime.store.tables import runs
from integrations.context import Loom
from integrations.settings import Settings
from tests.peers.local_server import LocalServer, serve
from tests.peers.openai import completion

from .conftest import LiveServer, screenshot, serving

SUMMARIZE = """
loom: 1
name: dash-summarize
steps:
  - id: pause
    type: wait
    duration: 300ms
  - id: summarize
    type: llm
    model: openai/gpt-4o-mini
    api_base: {base}
    api_key: test-key
    prompt: Summarize the news
"""

FETCH = """
loom: 1
name: dash-fetch
steps:
  - id: fetch
    type: http
    url: {base}/page
"""


@pytest.fixture(scope="module")
def peer() -> Iterator[LocalServer]:
    """The model and the web page the runs reach: the page is down (HTTP 500)."""
    def answer(request):
        if request.path.endswith("/page"):
            return 500, {}, "down for maintenance"
        return completion("The news, briefly.", 120, 30)

    with serve() as server:
        server.handle = answer
        yield server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app with MLflow's UI on (a sidecar proxied under /mlflow)."""
    with serving(Settings(home=tmp_path_factory.mktemp("loom-home"), tracing=False, mlflow_ui=True)) as server:
        yield server


@pytest.fixture(scope="module")
def ran(live_server: LiveServer, peer: LocalServer) -> dict[str, engine.RunResult]:
    """Three runs that succeed (one of them yesterday) and one that fails, executed by the server's engine."""
    loom = live_server.loom
    # LiteLLM's first call in a process takes seconds (imports, clients): not the runs' time to measure
    live_server.call(complete("openai/gpt-4o-mini", [{"role": "user", "content": "hi"}],
                              api_base=peer.url + "/v1", api_key="test-key"))
    summarize = engine.loads(SUMMARIZE.format(base=peer.url + "/v1"))
    results = [live_server.call(engine.run(summarize, services=services(loom))) for _ in range(3)]
    failed = live_server.call(engine.run(engine.loads(FETCH.format(base=peer.url)), services=services(loom)))
    assert [r.status for r in results] == ["succeeded"] * 3 and failed.status == "failed", failed.error
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    with loom.store.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.run_id == results[0].run_id).values(started_at=yesterday))
    return {"failed": failed, "cost": sum(r.usage.cost_usd for r in results)}


def services(loom: Loom) -> engine.Services:
    """The server's store, with the loopback peer allowed for `http` steps."""
    return engine.Services(store=loom.store, http_allow=frozenset({"127.0.0.1"}))


def test_dashboard_shows_runs_costs_bottleneck_failures_and_mlflow(page, ran, live_server):
    page.get_by_role("tab", name="Dashboard").click()

    summary = page.locator("#dashboard-summary")
    expect(summary).to_contain_text("4 runs", timeout=30_000)
    expect(summary).to_contain_text("success rate 75% (3 succeeded, 1 failed)")
    expect(summary).to_contain_text(f"cost ${ran['cost']:.4f}")
    expect(summary).to_contain_text("360 tokens in, 90 out")
    for plot in ("#dashboard-runs-plot", "#dashboard-cost-day", "#dashboard-cost-workflow"):
        expect(page.locator(f"{plot} canvas, {plot} svg").first).to_be_visible()
    expect(page.locator("#dashboard-cost-model")).to_contain_text("openai/gpt-4o-mini")
    expect(page.locator("#dashboard-bottlenecks")).to_contain_text("pause accounts for")
    expect(page.locator("#dashboard-slowest")).to_contain_text("pause")

    failures = page.locator("#dashboard-failures")
    expect(failures).to_contain_text("dash-fetch")
    expect(failures).to_contain_text("HTTP 500")
    failures.get_by_text(ran["failed"].run_id, exact=True).filter(visible=True).first.click()
    expect(page.locator("#dashboard-failure-summary")).to_contain_text("failed at step")
    expect(page.locator("#dashboard-failure-steps")).to_contain_text("fetch")

    frame = page.frame_locator("#dashboard-mlflow-frame")
    expect(frame.locator("#root")).to_be_attached(timeout=120_000)  # MLflow's own page, from our origin
    page.wait_for_timeout(2000)  # let MLflow's app paint before the picture
    shot = screenshot(page, "dashboard")
    assert shot.stat().st_size > 10_000
    assert page.external_requests == []

    page.locator("#dashboard-open-run").click()
    expect(page.locator("#run-id input, #run-id textarea").first).to_have_value(ran["failed"].run_id)
    expect(page.locator("#run-summary")).to_contain_text("failed")


def test_period_and_refresh_pick_up_new_runs(page, ran, live_server, peer):
    page.get_by_role("tab", name="Dashboard").click()
    expect(page.locator("#dashboard-summary")).to_contain_text("4 runs", timeout=30_000)

    live_server.call(engine.run(engine.loads(FETCH.format(base=peer.url)), services=services(live_server.loom)))
    page.locator("#dashboard-refresh").click()
    expect(page.locator("#dashboard-summary")).to_contain_text("5 runs")
    expect(page.locator("#dashboard-summary")).to_contain_text("success rate 60%")
