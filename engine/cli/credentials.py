"""What `loom secrets` and `loom connections` share: the vault they open, and how a credential
is read.

A credential never comes from the command line, where `ps`, shell history and CI logs keep it:
it is read from stdin when stdin is piped (`printf %s "$TOKEN" | loom secrets set TOKEN`), else
asked for on the terminal without echo (`getpass`). Nothing here prints a value.

The vault is the one in the database `loom run` uses (LOOM_DATABASE_URL, else
`$LOOM_HOME/loom.db`), under LOOM_SECRET_KEY or `$LOOM_HOME/secret.key`.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import LoomError

if TYPE_CHECKING:
    from ..vault import Vault

Handler = Callable[[argparse.Namespace], int]


def open_vault() -> Vault:
    from ..runtime.store import default_store
    from ..vault import Vault

    return Vault.for_store(default_store())


def reporting(command: str) -> Callable[[Handler], Handler]:
    """A handler whose LoomError (a vault, connection or check error) prints as one line, exit 1."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            try:
                return handler(args)
            except LoomError as exc:
                print(f"loom {command}: {exc}", file=sys.stderr)
                return 1
        return run
    return wrap


def deleted(command: str, kind: str, name: str, removed: bool) -> int:
    """What `delete` says: that it removed the secret or connection, or that none was stored."""
    if not removed:
        print(f"loom {command}: no {kind} named '{name}' is stored", file=sys.stderr)
        return 1
    print(f"{kind} {name} deleted", file=sys.stderr)
    return 0


def piped() -> bool:
    """Whether stdin is a pipe or a file rather than a terminal."""
    return sys.stdin is not None and not sys.stdin.isatty()


def read_stdin() -> str:
    """All of stdin, less one trailing newline (what `echo` adds)."""
    text = sys.stdin.read()
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def ask_hidden(prompt: str) -> str:
    """A value typed on the terminal, not echoed."""
    return getpass.getpass(prompt)
