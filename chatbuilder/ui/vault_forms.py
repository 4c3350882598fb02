"""What the Settings tab shows of the vault, and how its connection form maps onto a kind's settings.

No Gradio here, so the rules about what a person reads (and what never reaches the page) are
tested without a browser. A connection form is generated from the kind's pydantic model in
`engine.connections.kinds`, so a new kind or field appears in the UI without touching it:
credential fields (`ConnectionConfig.secret_fields`) become password boxes that start empty
and are never filled from what is stored; the rest show their defaults. Checking the settings
stays with `Connection.parse`, as for the CLI and the API; `field_errors` only says which
field to mark.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from engine.runtime.services import SECRET_PREFIX

SECRETS_HEADERS = ["name", "value", "last changed"]
CONNECTIONS_HEADERS = ["name", "kind", "points at", "last changed"]
CREDENTIAL_INFO = "Stored encrypted and never shown again: type it anew whenever you replace this connection."


@dataclass(frozen=True)
class SettingField:
    """One box of a connection form. `key` is the settings key (the alias where there is one:
    smtp's `from`); `kind` is text, password, integer, number, choice or checkbox."""

    key: str
    kind: str
    label: str
    info: str
    value: Any
    required: bool
    choices: tuple[Any, ...] = ()

    @property
    def secret(self) -> bool:
        return self.kind == "password"


# ---- the key, the tables ------------------------------------------------------------------

def key_source_line(keys: Any) -> str:
    """Where the vault's key comes from (a `KeySource`), in one line; never the key itself."""
    where = "`LOOM_SECRET_KEY` in the server's environment" if keys.from_env_var else f"the key file `{keys.path}`"
    return f"**Key:** secrets and connections are encrypted with {where}; without it nothing stored can be read."


def secret_rows(infos: Iterable[Any], environ: Mapping[str, str]) -> list[list[str]]:
    """name, "set", last changed: a value is never read for the table. A non-empty
    `LOOM_SECRET_<NAME>` in the server's environment wins over the stored value, so say so."""
    rows = []
    for info in infos:
        variable = SECRET_PREFIX + info.name
        state = f"set ({variable} in the environment wins)" if environ.get(variable) else "set"
        rows.append([info.name, state, moment(info.updated_at)])
    return rows


def connection_rows(infos: Iterable[Any]) -> list[list[str]]:
    return [[info.name, info.kind, info.summary, moment(info.updated_at)] for info in infos]


def moment(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_line(ok: bool, message: str) -> str:
    return f"✓ {message}" if ok else f"✗ {message}"


# ---- connection forms ---------------------------------------------------------------------

def setting_fields(model: Any) -> list[SettingField]:
    """One field per setting of a kind's model (a `ConnectionConfig` subclass), in its order."""
    secret = model.secret_fields()
    return [_setting_field(name, info, name in secret) for name, info in model.model_fields.items()]


def _setting_field(name: str, info: FieldInfo, secret: bool) -> SettingField:
    key = info.alias or name
    required = info.is_required()
    description = info.description or ""
    if secret:
        label = f"{key} (credential{', required' if required else ''})"
        return SettingField(key, "password", label, f"{description} {CREDENTIAL_INFO}".strip(), None, required)
    kind, choices = _box(info.annotation)
    value = None if required else info.get_default(call_default_factory=True)
    return SettingField(key, kind, f"{key} (required)" if required else key, description, value, required, choices)


def _box(annotation: Any) -> tuple[str, tuple[Any, ...]]:
    """Which box a setting's type gets: `str | None` is a text box, a Literal a choice."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    if get_origin(annotation) is Literal:
        return "choice", get_args(annotation)
    if annotation is bool:
        return "checkbox", ()
    if annotation is int:
        return "integer", ()
    if annotation is float:
        return "number", ()
    return "text", ()


def collect_settings(fields: list[SettingField], values: Iterable[Any]) -> dict[str, Any]:
    """The settings typed into a form; a blank box is left out, so the kind's default applies
    (and a required setting left blank is reported by `Connection.parse` as missing)."""
    settings: dict[str, Any] = {}
    for field, value in zip(fields, values, strict=True):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field.kind == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        settings[field.key] = value
    return settings


def stored_values(fields: list[SettingField], settings: Mapping[str, Any]) -> list[Any]:
    """A stored connection's settings for its form: every setting but the credentials, which stay
    blank (the page never holds one, so replacing a connection means typing them again)."""
    return [None if field.secret else settings.get(field.key, field.value) for field in fields]


def credentials_left_blank(fields: list[SettingField], settings: Mapping[str, Any]) -> list[str]:
    """Optional credentials not typed: said after saving, as the connection is stored without them."""
    return [field.key for field in fields if field.secret and not field.required and field.key not in settings]


def field_errors(model: Any, settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings key -> what is wrong with it, to mark the boxes at fault. `Connection.parse` has
    already refused the settings and said why; this only places its messages on the fields."""
    try:
        model.model_validate(dict(settings))
    except ValidationError as exc:
        return {str(error["loc"][0]): error["msg"] for error in reversed(exc.errors()) if error["loc"]}
    return {}

