"""`loom keys create|list|revoke`: API keys for the REST API and webhooks."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("keys", help="create, list and revoke API keys", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="a new key, printed once")
    create.add_argument("name", help="what the key is for, e.g. 'ci' or 'zapier'")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=create_key)
    listing = verbs.add_parser("list", help="every key, without its secret")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_keys)
    revoke = verbs.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("key_id", metavar="ID")
    revoke.set_defaults(handler=revoke_key)


def _keys():
    from ..context import Loom

    return Loom.open().keys


def create_key(args: argparse.Namespace) -> int:
    try:
        key, plaintext = _keys().create(args.name)
    except ValueError as exc:
        print(f"loom keys create: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**key.to_dict(), "key": plaintext}, indent=2))
    else:
        print(plaintext)
        print(f"key {key.id} ('{key.name}'): copy it now, it is not shown again", file=sys.stderr)
    return 0


def list_keys(args: argparse.Namespace) -> int:
    keys = _keys().list()
    if args.json:
        print(json.dumps([k.to_dict() for k in keys], indent=2))
        return 0
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"last used {key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never used"
        print(f"{key.id}  {state:<18}  {used:<28}  {key.name}")
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    if not _keys().revoke(args.key_id):
        print(f"loom keys revoke: no active key with id '{args.key_id}'", file=sys.stderr)
        return 1
    print(f"key {args.key_id} revoked", file=sys.stderr)
    return 0
