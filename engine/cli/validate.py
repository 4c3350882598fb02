"""`loom validate FILE... [--json]`: exit 0 when every file is valid, 1 otherwise."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import ValidationError
from ..loader import load


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="check workflow files", description=__doc__)
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    results = []
    for file in args.files:
        try:
            load(file)
            results.append({"file": file, "valid": True, "errors": []})
        except ValidationError as exc:
            results.append({"file": file, "valid": False, "problems": exc.problems})
    if args.json:
        print(json.dumps([_as_json(r) for r in results], indent=2))
    else:
        _print_text(results)
    return 0 if all(r["valid"] for r in results) else 1


def _as_json(result: dict) -> dict:
    problems = result.pop("problems", [])
    return {**result, "errors": [p.to_dict() for p in problems]} if problems else result


def _print_text(results: list[dict]) -> None:
    for result in results:
        if result["valid"]:
            print(f"{result['file']}: ok")
            continue
        for problem in result["problems"]:
            print(problem.format(), file=sys.stderr)
    invalid = sum(not r["valid"] for r in results)
    if invalid:
        print(f"{invalid} of {len(results)} file(s) invalid", file=sys.stderr)
