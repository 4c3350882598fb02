"""`loom eval`: run an evaluation set through the builder and score it in MLflow.

    loom eval                                         the shipped set, LOOM_BUILDER_MODEL (or offline)
    loom eval --set my-set.yaml --model openai/gpt-4o-mini
    loom eval --model openai/gpt-4o-mini --model ollama/llama3.2      two models side by side
    loom eval --model openai/gpt-4o-mini --prompt-version 1 --prompt-version 2

Each model x prompt version is one MLflow run in the `loomwork-eval` experiment; the table
prints one column per run. `--model offline` evaluates the offline drafter.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys

METRICS = ("valid_first_answer", "valid_after_repair", "model_calls", "expected_triggers", "expected_steps")
MAX_CONFIGS = 6


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("eval", help="score the chat builder on a set of requests, in MLflow",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="set_file", metavar="FILE",
                        help="evaluation set (YAML or JSON list of {request, triggers, steps}); default: shipped set")
    parser.add_argument("--model", action="append", metavar="M",
                        help="LiteLLM model string, or 'offline'; repeat to compare (default: LOOM_BUILDER_MODEL)")
    parser.add_argument("--prompt-version", action="append", type=int, metavar="V",
                        help="registered version of the builder instructions; repeat to compare")
    parser.add_argument("--api-base", help="base URL of the model's API (a local Ollama, a proxy)")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from chatbuilder.evaluation import EvalConfig, EvalSetError, evaluate, load_cases
    from engine.tracing import Tracking

    try:
        cases = load_cases(args.set_file)
    except EvalSetError as exc:
        print(f"loom eval: {exc}", file=sys.stderr)
        return 2
    models = args.model or [os.environ.get("LOOM_BUILDER_MODEL") or "offline"]
    configs = [EvalConfig(None if model == "offline" else model, version, args.api_base)
               for model, version in itertools.product(models, args.prompt_version or [None])]
    if len(configs) > MAX_CONFIGS:
        print(f"loom eval: {len(configs)} model x prompt-version combinations; at most {MAX_CONFIGS} at once",
              file=sys.stderr)
        return 2
    tracking = Tracking()
    set_name = args.set_file or "default"
    try:
        reports = [evaluate(cases, config, tracking=tracking, set_name=set_name) for config in configs]
    except LookupError as exc:
        print(f"loom eval: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([report.to_dict() for report in reports], indent=2))
    else:
        print(table(reports, len(cases)))
    return 0


def table(reports: list, cases: int) -> str:
    """One row per metric, one column per evaluated configuration."""
    labels = [report.config.label for report in reports]
    width = max(len(m) for m in METRICS) + 2
    columns = [max(len(label), 8) + 2 for label in labels]
    lines = [f"builder evaluation, {cases} request(s)",
             "metric".ljust(width) + "".join(label.rjust(c) for label, c in zip(labels, columns, strict=True))]
    for metric in METRICS:
        cells = [f"{report.metrics.get(f'{metric}/mean', float('nan')):.2f}".rjust(c)
                 for report, c in zip(reports, columns, strict=True)]
        lines.append(metric.ljust(width) + "".join(cells))
    lines.append("mlflow run".ljust(width) + "".join(r.run_id[:8].rjust(c) for r, c in zip(reports, columns,
                                                                                              strict=True)))
    return "\n".join(lines)
