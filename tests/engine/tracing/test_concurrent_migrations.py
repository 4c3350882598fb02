"""MLflow creating its tracking tables in one thread while the run store migrates in another:
Alembic keeps the running migration in a module-level context, so without one lock for both
each could run the other's scripts on the wrong database ("no such table: steps")."""

from __future__ import annotations

import threading
from pathlib import Path

import engine
from engine.runtime.store import SqlStore
from engine.tracing import Tracking


def test_the_run_store_and_mlflow_can_migrate_at_the_same_time(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    workflow = engine.loads("loom: 1\nname: w\nsteps:\n  - {id: a, type: set, values: {v: 1}}\n")
    for attempt in range(3):
        home = tmp_path / f"home-{attempt}"
        home.mkdir()
        errors: list[BaseException] = []

        def create_tracking_tables(home: Path = home, errors: list[BaseException] = errors) -> None:
            try:
                Tracking(home).experiment("loomwork-runs")
            except BaseException as exc:  # collected: a thread's exception would vanish otherwise
                errors.append(exc)

        thread = threading.Thread(target=create_tracking_tables)
        thread.start()
        store = SqlStore(f"sqlite:///{home / 'loom.db'}")
        result = engine.run_sync(workflow, store=store)
        thread.join()
        assert errors == [] and result.status == "succeeded", (errors, result.error)
        store.close()
