"""`loom usage`: tokens and cost of the runs in this workspace, per workflow, model, provider, day or run."""

from __future__ import annotations

import argparse
import json
import sys

_TIME = "a date (2025-01-31), a timestamp or a span back from now (12h, 7d, 2w)"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("usage", help="tokens and cost per workflow, model, provider, day or run",
                            description=__doc__)
    parser.add_argument("--by", choices=("workflow", "model", "provider", "day", "run"), default="workflow",
                        help="how rows are grouped (default: workflow)")
    parser.add_argument("--since", help=f"runs started at or after this: {_TIME}")
    parser.add_argument("--until", help=f"runs started before this (a bare date includes that day): {_TIME}")
    parser.add_argument("--workflow", metavar="NAME", help="only this workflow's runs")
    parser.add_argument("--limit", type=int, default=100, help="most rows with --by run (default: 100)")
    parser.add_argument("--json", action="store_true", help="print the same object as GET /api/v1/usage")
    parser.set_defaults(handler=show_usage)


def show_usage(args: argparse.Namespace) -> int:
    from engine.reports import Window, usage

    from ..context import Loom

    try:
        window = Window.parse(args.since, args.until)
    except ValueError as exc:
        print(f"loom usage: {exc}", file=sys.stderr)
        return 2
    loom = Loom.open()
    try:
        report = usage(loom.store.engine, args.by, window=window, workflow=args.workflow, limit=max(1, args.limit))
    finally:
        loom.store.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(_table(args.by, [*report.rows, report.total]))
    return 0


def _table(group_by: str, rows: list) -> str:
    header = (group_by, "runs", "calls", "tokens_in", "tokens_out", "cost_usd")
    cells = [header] + [(row.key, str(row.runs), str(row.calls), str(row.input_tokens), str(row.output_tokens),
                         f"{row.cost_usd:.6f}") for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                               enumerate(zip(line, widths, strict=True))).rstrip() for line in cells)
