"""What a run leaves behind: its result, and the records the store keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class StepRecord:
    """One step execution, as journaled: enough to skip it on resume."""

    key: str
    step_id: str
    type: str
    status: str
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 1
    duration_ms: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0

    def state(self) -> dict[str, Any]:
        """What `steps.<id>` reads in expressions."""
        return {"output": self.output, "status": self.status, "error": self.error}


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, input_tokens: int = 0, output_tokens: int = 0, cost_usd: float = 0.0) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class RunResult:
    run_id: str
    workflow: str
    status: str
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    replies: list[str] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        """The `loom run --json` shape."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "outputs": self.outputs,
            "error": self.error,
            "replies": list(self.replies),
            "steps": [
                {"id": s.step_id, "path": s.key, "status": s.status, "attempts": s.attempts,
                 "duration_ms": round(s.duration_ms, 3)}
                for s in self.steps
            ],
            "usage": asdict(self.usage),
        }
