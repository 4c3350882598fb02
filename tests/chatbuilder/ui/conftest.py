"""Browser fixtures: the real app served by uvicorn on loopback, and headless Chromium driven by Playwright.

    def test_something(live_server, page):        # page is already on live_server.url
        page.get_by_role("tab", name="Runs").click()
        expect(page.locator("#run-summary")).to_contain_text("succeeded")
        screenshot(page, "runs-tab")

One server and one browser per test module (starting them takes seconds); each test gets
a fresh browser context and page. Requests to anything but loopback are refused and
recorded in `page.external_requests`, so no test reaches the internet and a test can
assert that the page asked nothing of a CDN. `live_server.call(coroutine)` runs a
coroutine on the server's event loop (the sync Playwright API owns the test's thread).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from integrations.context import Loom
from integrations.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
NOT_LOOPBACK = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])[a-z]+://")
APP_READY_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000  # the machine is shared: give each expectation room before it fails
T = TypeVar("T")


@dataclass
class LiveServer:
    url: str
    loom: Loom
    loop: asyncio.AbstractEventLoop

    def call(self, awaitable: Awaitable[T], timeout: float = 30) -> T:
        """Await something on the server's own event loop (e.g. `loom.runner.start`) and return its result."""
        return asyncio.run_coroutine_threadsafe(_wrap(awaitable), self.loop).result(timeout)


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG as test-output/screenshots/NAME.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    """`create_app(loom)` (UI included) served by uvicorn in a background thread on a free loopback port."""
    import uvicorn

    from integrations.server import create_app

    loom = Loom.open(settings)
    app = create_app(loom)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets=[sock]),),
                              name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start (see the log above)")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", loom, loop)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        closer = threading.Thread(target=_close, args=(loop,))  # this thread may be running Playwright's loop
        closer.start()
        closer.join(timeout=15)
        sock.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(Settings(home=tmp_path_factory.mktemp("loom-home"), tracing=False)) as server:
        yield server


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """End what the app left running on its loop (LiteLLM's logging worker, say) before closing it."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.ui_failed = report.failed
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser, live_server: LiveServer) -> Iterator:
    """A fresh page on the app, loaded; `page.external_requests` lists refused non-loopback URLs.
    A failing test leaves test-output/screenshots/FAILED-<test>.png behind."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(20_000)
    external: list[str] = []

    def refuse(route) -> None:
        external.append(route.request.url)
        route.abort()

    context.route(NOT_LOOPBACK, refuse)
    page = context.new_page()
    page.external_requests = external
    page.goto(live_server.url + "/")
    page.get_by_role("tab", name="Runs").wait_for(timeout=APP_READY_TIMEOUT_MS)
    try:
        yield page
        if getattr(request.node, "ui_failed", False):  # what the page showed when the test failed
            screenshot(page, f"FAILED-{request.node.name}")
    finally:
        context.close()
