"""The real server stays responsive while runaway expressions run in runs started over the API:
`GET /api/v1/health` answers in under a second throughout, and each run fails with `limit`
well within its `limits.timeout`.

CEL evaluates on the event loop's thread and holds the GIL, so before the evaluation budget
one such run kept every request waiting for minutes (10^7 elements: still running at 150 s).
"""

from __future__ import annotations

import threading
import time

import httpx

from integrations.context import Loom

from .conftest import LiveServer, wait_for

TEN = "[0,1,2,3,4,5,6,7,8,9]"
NESTED = "".join(f"{TEN}.map(v{i}, " for i in range(6)) + f"{TEN}.map(v6, v6)" + ")" * 6

RUNAWAY = f"""\
loom: 1
name: runaway
inputs:
  items: {{type: array, default: []}}
triggers:
  - {{type: webhook}}
limits: {{timeout: 5s}}
steps:
  - id: quadratic
    type: set
    when: "${{{{ size(inputs.items) > 0 }}}}"
    values: {{n: "${{{{ inputs.items.map(x, x * 2).size() }}}}"}}
  - id: nested
    type: set
    values: {{n: "${{{{ {NESTED} }}}}"}}
"""


class HealthProbe(threading.Thread):
    """GET /health every 50 ms, keeping each latency, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.latencies, self.stop = url, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                started = time.monotonic()
                assert http.get("/api/v1/health").status_code == 200
                self.latencies.append(time.monotonic() - started)
                time.sleep(0.05)


def test_health_answers_within_a_second_while_runaway_expressions_run(loom: Loom, api_key: str, live: LiveServer):
    probe = HealthProbe(live.url)
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30) as http:
        saved = http.put("/api/v1/workflows/runaway", content=RUNAWAY, headers={"Content-Type": "application/yaml"})
        assert saved.status_code in (200, 201), saved.text
        probe.start()
        started = time.monotonic()
        runs = [http.post("/api/v1/workflows/runaway/runs", json={"inputs": inputs}).json()["run_id"]
                for inputs in ({"items": list(range(20_000))}, {})]
        views = [wait_for(lambda r=r: (v := http.get(f"/api/v1/runs/{r}").json())["status"] != "running"
                          and v["status"] != "queued" and v, timeout=20) for r in runs]
        elapsed = time.monotonic() - started
        time.sleep(0.3)
    probe.stop.set()
    probe.join(10)

    assert [view["status"] for view in views] == ["failed", "failed"]
    assert all(view["error"]["type"] == "limit" for view in views), [view["error"] for view in views]
    assert views[0]["error"]["step"] == "quadratic" and views[1]["error"]["step"] == "nested"
    assert elapsed < 5.0
    assert len(probe.latencies) >= 5 and max(probe.latencies) < 1.0, probe.latencies
