"""The `loom` command. Each subcommand lives in its own module and registers its parser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from . import connections, run, runs, schema, secrets, test, validate

COMMANDS = (validate, run, test, runs, schema, secrets, connections)
_OWN = frozenset({"validate", "run", "test", "runs", "schema", "secrets", "connections"})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; `command`, when it is one of the engine's own, skips the other packages'
    commands (`serve`, `keys`, `usage`, `eval`, registered as `loomwork.commands` entry points):
    loading them imports the server's parts, which `loom validate` must not wait for."""
    parser = argparse.ArgumentParser(prog="loom", description="Loomwork: agent workflows as reviewable config.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    if command not in _OWN:
        for entry in entry_points(group="loomwork.commands"):
            entry.load().register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # `loom schema | head` is fine
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
