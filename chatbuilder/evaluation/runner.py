"""Running an evaluation set through the builder and scoring it with `mlflow.genai.evaluate`.

Each configuration (a model, or the offline drafter, with the shipped or a registered
prompt version) is one MLflow run in the `loomwork-eval` experiment; its metrics are the
scorers' means. The builder answers in a scratch database, so evaluation sessions never
appear among the person's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from engine.tracing import BUILDER, EVALUATION, Tracking, disable_call_tracing, enable_call_tracing, traced_turn

from .cases import EvalCase
from .prompts import INSTRUCTIONS, instructions, register_prompts, using_instructions


@dataclass(frozen=True)
class EvalConfig:
    model: str | None = None
    """A LiteLLM model string; None for the offline drafter."""
    prompt_version: int | None = None
    """A registered version of the builder instructions; None for the shipped text."""
    api_base: str | None = None

    @property
    def label(self) -> str:
        name = self.model or "offline"
        return f"{name} @v{self.prompt_version}" if self.prompt_version is not None else name


@dataclass
class EvalReport:
    config: EvalConfig
    run_id: str
    metrics: dict[str, float]
    prompt_versions: dict[str, int]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.config.label, "model": self.config.model, "prompt_version": self.config.prompt_version,
                "run_id": self.run_id, "metrics": self.metrics, "prompt_versions": self.prompt_versions,
                "rows": self.rows}


def evaluate(cases: list[EvalCase], config: EvalConfig, *, tracking: Tracking | None = None,
             set_name: str = "default") -> EvalReport:
    """Answer every case with the builder as `config` says, score the answers, log them to MLflow."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # mlflow.genai imports LiteLLM
    tracking = tracking or Tracking()
    mlflow = tracking.connect()
    from .scorers import SCORERS

    versions = register_prompts()
    text = instructions(config.prompt_version) if config.prompt_version is not None else None
    writer = enable_call_tracing(tracking, BUILDER)  # each answer's model calls, repairs visible
    try:
        with using_instructions(text):
            outputs = asyncio.run(_answer_all(cases, config))
    finally:
        writer.flush()
        disable_call_tracing()
    data = [{"inputs": {"request": case.request}, "outputs": output,
             "expectations": {"triggers": case.triggers, "steps": case.steps}}
            for case, output in zip(cases, outputs, strict=True)]
    experiment = tracking.experiment(EVALUATION)
    mlflow.set_experiment(experiment_id=experiment)
    with mlflow.start_run(run_name=config.label, experiment_id=experiment) as run:
        mlflow.log_params({"model": config.model or "offline", "eval_set": set_name, "cases": len(cases),
                           "prompt_version": config.prompt_version or versions[INSTRUCTIONS]})
        with contextlib.redirect_stdout(sys.stderr):  # its banner must not mix with `loom eval --json`
            mlflow.genai.evaluate(data=data, scorers=SCORERS)
    stored = mlflow.MlflowClient(tracking.uri).get_run(run.info.run_id).data.metrics
    return EvalReport(config, run.info.run_id, dict(stored), versions,
                      [{"request": c.request, **o} for c, o in zip(cases, outputs, strict=True)])


async def _answer_all(cases: list[EvalCase], config: EvalConfig) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine

    from chatbuilder import Builder
    from engine.catalog import Catalog

    with tempfile.TemporaryDirectory(prefix="loom-eval-") as folder:
        engine = create_engine(f"sqlite:///{folder}/builder.db")
        try:
            builder = Builder(engine, catalog=Catalog(engine, files=None), model=config.model,
                              api_base=config.api_base)
            return [await answer(builder, case) for case in cases]
        finally:
            engine.dispose()


async def answer(builder, case: EvalCase) -> dict[str, Any]:
    """One case through one builder turn: what the scorers read."""
    from chatbuilder import check

    session = builder.create_session(case.request[:60])
    async with traced_turn("builder turn", session=session.id, inputs={"request": case.request}) as turn:
        result = await builder.send(session.id, case.request)
        turn.outputs = {"valid": result.valid, "attempts": len(result.attempts), "yaml": result.yaml}
    workflow = check(result.yaml).workflow if result.valid else None
    return {
        "valid_first": result.valid and len(result.attempts) <= 1,
        "valid": result.valid,
        "model_calls": result.model_calls,
        "offline": result.offline,
        "triggers": sorted({t.type for t in workflow.triggers}) if workflow else [],
        "steps": sorted({step.type for _, step, _ in workflow.walk()}) if workflow else [],
    }
