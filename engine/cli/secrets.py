"""`loom secrets set|list|delete|rotate-key`: the values workflows name as `${{ secrets.NAME }}`.

`set NAME` reads the value from stdin when it is piped, else asks for it without echo; never
from the command line. `list` shows names and when they changed, never values. A
`LOOM_SECRET_<NAME>` variable in the environment still wins over the stored value.
`rotate-key` re-encrypts everything with a new key: with a key file it replaces the file's key;
with LOOM_SECRET_KEY it prints the new key, which the variable must then be set to.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .credentials import ask_hidden, deleted, open_vault, piped, read_stdin, reporting


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("secrets", help="set, list, delete secrets; rotate the vault's key", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    setting = verbs.add_parser("set", help="store a secret (the value from stdin, or typed without echo)")
    setting.add_argument("name", metavar="NAME")
    setting.set_defaults(handler=set_secret)
    listing = verbs.add_parser("list", help="stored secrets' names, never their values")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_secrets)
    deleting = verbs.add_parser("delete", help="remove a stored secret")
    deleting.add_argument("name", metavar="NAME")
    deleting.set_defaults(handler=delete_secret)
    rotating = verbs.add_parser("rotate-key", help="re-encrypt every secret and connection with a new key")
    rotating.set_defaults(handler=rotate_key)


@reporting("secrets set")
def set_secret(args: argparse.Namespace) -> int:
    from ..vault import check_name

    name = check_name(args.name, "secret")  # before asking for a value that cannot be stored
    value = read_stdin() if piped() else ask_hidden(f"value of secret {name} (not shown): ")
    vault = open_vault()
    vault.set_secret(name, value)
    print(f"secret {name} stored (encrypted with {vault.keys.describe()})", file=sys.stderr)
    if os.environ.get(f"LOOM_SECRET_{name}"):
        print(f"note: LOOM_SECRET_{name} is set in this environment, and wins over the stored value",
              file=sys.stderr)
    return 0


@reporting("secrets list")
def list_secrets(args: argparse.Namespace) -> int:
    secrets = open_vault().secrets()
    if args.json:
        print(json.dumps([{"name": s.name, "updated_at": s.updated_at.isoformat()} for s in secrets], indent=2))
        return 0
    if not secrets:
        print("no secrets stored; add one with `loom secrets set NAME`", file=sys.stderr)
    for secret in secrets:
        wins = f"  (LOOM_SECRET_{secret.name} in the environment wins)" if os.environ.get(
            f"LOOM_SECRET_{secret.name}") else ""
        print(f"{secret.name:<32}  updated {secret.updated_at:%Y-%m-%d %H:%M:%S}{wins}")
    return 0


@reporting("secrets delete")
def delete_secret(args: argparse.Namespace) -> int:
    return deleted("secrets delete", "secret", args.name, open_vault().delete_secret(args.name))


@reporting("secrets rotate-key")
def rotate_key(args: argparse.Namespace) -> int:
    from ..vault import generate_key

    vault = open_vault()
    if not vault.keys.from_env_var:
        done = vault.rotate_key()
        print(f"re-encrypted {done.secrets} secret(s) and {done.connections} connection(s) with a new key; "
              f"{vault.keys.path} now holds only the new key", file=sys.stderr)
        return 0
    key = generate_key()
    # Printed before anything is re-encrypted: whatever happens next, the key is not lost.
    print(key, flush=True)
    try:
        done = vault.rotate_key(key)
    except Exception:
        print("loom secrets rotate-key: nothing was re-encrypted; keep LOOM_SECRET_KEY as it is", file=sys.stderr)
        raise
    print(f"re-encrypted {done.secrets} secret(s) and {done.connections} connection(s) with the new key printed "
          "above. Set LOOM_SECRET_KEY to it now, wherever this database is used: the old value no longer opens "
          "the vault (it also signs callbacks and webhooks: give their receivers the new value too)",
          file=sys.stderr)
    return 0
