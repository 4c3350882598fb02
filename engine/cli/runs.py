"""`loom runs list|show|resume`: the runs kept in the store."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys

from ..errors import LoomError
from ..library import FileLibrary
from ..runtime import Services, resume
from ..runtime.store import default_store
from .run import print_result, vault_services


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("runs", help="list, show and resume runs", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="recent runs, newest first")
    listing.add_argument("--status", choices=["queued", "running", "waiting", "succeeded", "failed", "cancelled"])
    listing.add_argument("--workflow")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_runs)
    show = verbs.add_parser("show", help="one run with its steps")
    show.add_argument("run_id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_run)
    again = verbs.add_parser("resume", help="continue an interrupted run from its journal")
    again.add_argument("run_id", metavar="ID")
    again.add_argument("--json", action="store_true")
    again.set_defaults(handler=resume_run)


def list_runs(args: argparse.Namespace) -> int:
    runs = asyncio.run(default_store().list_runs(status=args.status, workflow=args.workflow, limit=args.limit))
    rows = [{"run_id": r.run_id, "workflow": r.workflow, "status": r.status, "started_at": r.started_at}
            for r in runs]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['run_id']}  {row['status']:<9}  {row['started_at']}  {row['workflow']}")
    return 0


def show_run(args: argparse.Namespace) -> int:
    store = default_store()

    async def fetch():
        return await store.get_run(args.run_id), await store.journal(args.run_id)

    record, journal = asyncio.run(fetch())
    if record is None:
        print(f"loom runs show: no run with id '{args.run_id}'", file=sys.stderr)
        return 1
    data = dataclasses.asdict(record)
    data.pop("source")
    data["steps"] = [{"id": s.step_id, "path": s.key, "status": s.status, "attempts": s.attempts,
                      "duration_ms": round(s.duration_ms, 3), "error": s.error} for s in journal.values()]
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(f"run {record.run_id}: {record.workflow} {record.status} (started {record.started_at})")
        for step in data["steps"]:
            error = f"  {step['error']['message']}" if step["error"] else ""
            print(f"  {step['status']:<9} {step['path']}  x{step['attempts']}  {step['duration_ms']} ms{error}")
    return 0


def resume_run(args: argparse.Namespace) -> int:
    store = default_store()
    services = Services(store=store, resolve_workflow=FileLibrary(), **vault_services(store))
    try:
        result = asyncio.run(resume(args.run_id, services=services))
    except LoomError as exc:
        print(f"loom runs resume: {exc}", file=sys.stderr)
        return 1
    print_result(result, as_json=args.json)
    return 0 if result.succeeded else 1
