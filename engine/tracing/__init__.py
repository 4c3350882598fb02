"""Tracing runs in MLflow: one trace per run, a span per step execution.

    from engine.tracing import Tracer, Tracking
    tracer = Tracer(services, tracking=Tracking(home))   # sqlite:///$LOOM_HOME/mlflow.db
    runner.listeners.append(tracer)
    ...
    tracer.flush()                                         # before reading traces back

Spans nest as the run did: control-flow steps hold their branches' steps, a `for_each`
or `loop` holds one span per iteration (`each[3]`), a `parallel` one per branch. `llm`
steps are CHAT_MODEL spans carrying `mlflow.chat.tokenUsage` and `mlflow.llm.cost`, so
MLflow's trace-level roll-ups equal the run's own accounting. No secret value is ever
written. The chat builder's model calls are traced per session and turn (`calls`).
Importing this package does not import MLflow.
"""

from ..runtime.scrub import Scrubber
from .calls import Turn, disable_call_tracing, enable_call_tracing, traced_model_call, traced_turn
from .nesting import structure
from .tracer import Tracer
from .tracking import BUILDER, EVALUATION, RUNS, Tracking

__all__ = [
    "BUILDER",
    "EVALUATION",
    "RUNS",
    "Scrubber",
    "Tracer",
    "Tracking",
    "Turn",
    "disable_call_tracing",
    "enable_call_tracing",
    "structure",
    "traced_model_call",
    "traced_turn",
]
