"""Where traces go: an MLflow tracking store, and one experiment per purpose.

By default a SQLite file of its own under LOOM_HOME (`mlflow.db`, never the app's
database), with artifacts beside it; `MLFLOW_TRACKING_URI` names a tracking server instead.
MLflow is imported only here and in `export`, when something is traced.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..runtime.store.migration_lock import MIGRATION_LOCK

RUNS = "loomwork-runs"
BUILDER = "loomwork-builder"
EVALUATION = "loomwork-eval"


def default_home() -> Path:
    return Path(os.environ.get("LOOM_HOME") or ".loom")


class Tracking:
    """The tracking store of one LOOM_HOME (or `uri`); `experiment(name)` creates experiments on first use."""

    def __init__(self, home: str | Path | None = None, uri: str | None = None) -> None:
        # With no home given, everything comes from the environment. With one (the server's
        # settings, which read MLFLOW_TRACKING_URI once), the environment is not read again:
        # MLflow itself writes MLFLOW_TRACKING_URI into it whenever a tracking URI is set.
        from_env = os.environ.get("MLFLOW_TRACKING_URI") if home is None else None
        self.home = Path(home) if home is not None else default_home()
        self.uri = uri or from_env or f"sqlite:///{self.home.resolve() / 'mlflow.db'}"
        self._experiments: dict[str, str] = {}
        self._lock = threading.Lock()

    def connect(self):
        """MLflow, pointed at this store (MLflow's tracking URI is global to the process)."""
        import mlflow

        if mlflow.get_tracking_uri() != self.uri:
            if self.uri.startswith("sqlite:"):
                self.home.mkdir(parents=True, exist_ok=True)
            mlflow.set_tracking_uri(self.uri)
        return mlflow

    def experiment(self, name: str) -> str:
        """The id of experiment `name`, created with its artifacts under LOOM_HOME (not `./mlruns`)."""
        with self._lock:
            if name not in self._experiments:
                self._experiments[name] = self._get_or_create(name)
            return self._experiments[name]

    def _get_or_create(self, name: str) -> str:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        with MIGRATION_LOCK:  # the first use of a tracking store runs MLflow's own Alembic migrations
            client = MlflowClient(self.uri)
            found = client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        artifacts = None
        if self.uri.startswith("sqlite:"):
            artifacts = (self.home.resolve() / "mlflow-artifacts" / name).as_uri()
        try:
            return client.create_experiment(name, artifact_location=artifacts)
        except MlflowException:  # another process created it first
            found = client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id
