"""`loom serve`: the same server as `python app.py`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="start the server (UI, API, channels)", description=__doc__)
    parser.set_defaults(handler=serve)


def serve(_: argparse.Namespace) -> int:
    from ..serve import main

    main()
    return 0
