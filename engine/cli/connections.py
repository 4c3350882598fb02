"""`loom connections add|list|test|delete`: the servers and credentials workflows name.

    loom connections add crm --kind http --set base_url=https://crm.example.org   # asks for `value`
    echo '{"password": "..."}' | loom connections add mail --kind smtp --set host=smtp.example.org \\
        --set from=bot@example.org --set username=bot
    loom connections add db --kind sql --from-json - < db.json

`--set KEY=VALUE` takes the settings that are not credentials. Credentials (smtp `password`,
sql `url`, s3 `access_key_id` and `secret_access_key`, http and mcp `value`) are never taken
from the command line: they come from stdin as a JSON object when stdin is piped (`--from-json -`
says so explicitly, and may hold every setting), else each is asked for without echo. `add`
replaces a connection of the same name. `test` runs the kind's check, one real exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, get_args

from ..connections.kinds import Kind
from ..errors import LoomError
from .credentials import ask_hidden, deleted, open_vault, piped, read_stdin, reporting


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("connections", help="add, list, test and delete connections", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="store a connection (credentials from stdin, or typed without echo)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--kind", required=True, choices=get_args(Kind))
    add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="pairs",
                     help="a setting that is not a credential; repeatable")
    add.add_argument("--from-json", metavar="FILE", help="the settings as a JSON object, `-` for stdin")
    add.set_defaults(handler=add_connection)
    listing = verbs.add_parser("list", help="stored connections: name, kind, where they point")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_connections)
    test = verbs.add_parser("test", help="try a stored connection against its server")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=test_connection)
    delete = verbs.add_parser("delete", help="remove a stored connection")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=delete_connection)


@reporting("connections add")
def add_connection(args: argparse.Namespace) -> int:
    from ..connections import KINDS, Connection
    from ..vault import check_name

    check_name(args.name, "connection")
    model = KINDS[args.kind]
    settings = {**_json_settings(args.from_json), **_pairs(args.pairs, model)}
    if not args.from_json and not piped():
        settings.update(_prompted(model, settings))
    connection = Connection.parse(args.name, args.kind, settings)
    vault = open_vault()
    existed = args.name in vault.connection_names()
    vault.add_connection(connection)
    print(f"connection {args.name} ({args.kind}) {'replaced' if existed else 'added'}: {connection.summary()}",
          file=sys.stderr)
    return 0


@reporting("connections list")
def list_connections(args: argparse.Namespace) -> int:
    infos = open_vault().connections_info()
    if args.json:
        print(json.dumps([{"name": c.name, "kind": c.kind, "summary": c.summary,
                           "updated_at": c.updated_at.isoformat()} for c in infos], indent=2))
        return 0
    if not infos:
        print("no connections stored; add one with `loom connections add NAME --kind KIND`", file=sys.stderr)
    for info in infos:
        print(f"{info.name:<24}  {info.kind:<5}  {info.summary}  (updated {info.updated_at:%Y-%m-%d %H:%M:%S})")
    return 0


@reporting("connections test")
def test_connection(args: argparse.Namespace) -> int:
    from ..connections import ConnectionCheckFailed, check
    from ..runtime.scrub import Scrubber

    connection = open_vault().connection(args.name)
    scrub = Scrubber(connection.secret_values())
    try:
        message = asyncio.run(check(connection))
    except ConnectionCheckFailed as exc:
        print(f"failed: {scrub.text(str(exc))}", file=sys.stderr)
        return 1
    print(f"ok: {scrub.text(message)}")
    return 0


@reporting("connections delete")
def delete_connection(args: argparse.Namespace) -> int:
    return deleted("connections delete", "connection", args.name, open_vault().delete_connection(args.name))


def _json_settings(source: str | None) -> dict[str, Any]:
    """The JSON object of `--from-json FILE` (`-`: stdin), or of piped stdin; {} when there is none."""
    if source is None and not piped():
        return {}
    if source in (None, "-"):
        text, where = read_stdin(), "stdin"
    else:
        text, where = Path(source).read_text(), source
    if source is None and not text.strip():
        return {}
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoomError(f"{where} is not a JSON object of settings: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(settings, dict):
        raise LoomError(f"{where} must hold a JSON object of settings, e.g. {{\"password\": \"...\"}}")
    return settings


def _pairs(pairs: list[str], model: Any) -> dict[str, str]:
    credentials = _credential_keys(model)
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise LoomError(f"--set takes KEY=VALUE, got {pair!r}")
        if key in credentials:
            raise LoomError(f"'{key}' is a credential: it is never taken from the command line. Pipe it as JSON "
                            f"(echo '{{\"{key}\": ...}}' | loom connections add ...) or leave it out to be asked")
        settings[key] = value
    return settings


def _prompted(model: Any, settings: dict[str, Any]) -> dict[str, str]:
    """Each credential not given yet, typed without echo; an optional one may be left empty."""
    answers = {}
    for name in sorted(model.secret_fields()):
        field = model.model_fields[name]
        key = field.alias or name
        if key in settings or name in settings:
            continue
        required = field.is_required()
        value = ask_hidden(f"{key} ({'required' if required else 'empty for none'}, not shown): ")
        if value or required:
            answers[key] = value
    return answers


def _credential_keys(model: Any) -> set[str]:
    fields = model.model_fields
    return {key for name in model.secret_fields() for key in (name, fields[name].alias) if key}
