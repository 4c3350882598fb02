"""`loom test FILE... [--json]`: run each file's `tests:` offline; exit 0 when all pass."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ..errors import ValidationError
from ..library import FileLibrary
from ..loader import load
from ..testing import run_tests


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("test", help="run the workflows' offline tests", description=__doc__)
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    reports = []
    for file in args.files:
        try:
            workflow = load(file)
        except ValidationError as exc:
            reports.append({"file": file, "valid": False, "cases": [],
                            "errors": [p.to_dict() for p in exc.problems]})
            if not args.json:
                for problem in exc.problems:
                    print(problem.format(), file=sys.stderr)
            continue
        cases = asyncio.run(run_tests(workflow, FileLibrary(Path(file).parent)))
        reports.append({"file": file, "valid": True, "cases": [c.to_dict() for c in cases]})
        if not args.json:
            for case in cases:
                mark = "PASS" if case.passed else "FAIL"
                print(f"{mark} {file} :: {case.name}")
                for failure in case.failures:
                    print(f"     {failure}")
    passed = sum(c["passed"] for r in reports for c in r["cases"])
    failed = sum(not c["passed"] for r in reports for c in r["cases"]) + sum(not r["valid"] for r in reports)
    if args.json:
        print(json.dumps(reports, indent=2, default=str))
    else:
        print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
