"""`loom run FILE_OR_NAME [-i KEY=VALUE]... [--inputs JSON] [--json]`: exit 0 only when the run succeeded."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..errors import LoomError, ValidationError, WorkflowNotFound
from ..library import load_file_or_name
from ..runtime import Services, coerce_text, run
from ..runtime.events import Event, Reply
from ..runtime.store import default_store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run a workflow to its end", description=__doc__)
    parser.add_argument("target", metavar="FILE_OR_NAME")
    parser.add_argument("-i", "--input", action="append", default=[], metavar="KEY=VALUE",
                        help="an input; the value is read by the input's declared type")
    parser.add_argument("--inputs", metavar="JSON", help="all inputs as a JSON object")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    store = default_store()
    try:
        workflow, library = load_file_or_name(args.target, _saved_first(store))
        inputs = parse_inputs(workflow, args.inputs, args.input)
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return 1
    except WorkflowNotFound as exc:
        print(f"loom run: {args.target!r} is neither a saved workflow nor a file: {exc}", file=sys.stderr)
        return 1
    except LoomError as exc:
        print(f"loom run: {exc}", file=sys.stderr)
        return 1
    services = Services(store=store, resolve_workflow=library, **vault_services(store))
    listeners = [] if args.json else [_print_replies]
    try:
        result = asyncio.run(run(workflow, inputs, services=services, listeners=listeners))
    except LoomError as exc:
        print(f"loom run: {exc}", file=sys.stderr)
        return 1
    print_result(result, as_json=args.json)
    return 0 if result.succeeded else 1


def vault_services(store) -> dict:
    """The stored secrets (LOOM_SECRET_<NAME> winning) and connections, for `Services`."""
    from ..vault import Vault

    vault = Vault.for_store(store)
    return {"secrets": vault.secret_map(), "connections": vault.connection_map()}


def _saved_first(store):
    """Names resolve to workflows saved in the store's database (newest version), then to files."""
    from ..catalog import Catalog

    engine = getattr(store, "engine", None)
    return None if engine is None else Catalog(engine)


def parse_inputs(workflow, inputs_json: str | None, pairs: list[str]) -> dict:
    inputs: dict = {}
    if inputs_json:
        try:
            inputs = json.loads(inputs_json)
        except json.JSONDecodeError as exc:
            raise LoomError(f"--inputs is not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(inputs, dict):
            raise LoomError("--inputs must be a JSON object")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise LoomError(f"-i takes KEY=VALUE, got {pair!r}")
        inputs[key] = coerce_text(workflow, key, value)
    return inputs


def _print_replies(event: Event) -> None:
    if isinstance(event, Reply):
        print(event.text, flush=True)


def print_result(result, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return
    line = f"run {result.run_id} {result.status}"
    if result.error:
        line += f": {result.error.get('message')}"
    print(line, file=sys.stderr)
    if result.outputs:
        print(json.dumps(result.outputs, indent=2, default=str))
