"""The Settings tab's Connections: the stored ones, Test / Load / Delete, and a form to add or replace one.

The form holds one group of boxes per kind in `engine.connections.KINDS`, drawn once from the
kind's pydantic model (`vault_forms.setting_fields`) and shown by the Kind dropdown; drawing
them all up front, rather than with `gr.render`, keeps every box a fixed input of Save.

Credentials flow one way: typed into a password box, sent with Save, encrypted by the vault.
Every handler that touches the form returns each password box empty, so no response carries
one back, and Load fills in everything of a stored connection but its credentials. Test runs
the kind's real check (`engine.connections.check`) as an async handler, so a slow server
never holds up the UI's event loop; its line is scrubbed of the connection's credentials, as
the API's and the CLI's are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.connections import KINDS, Connection, ConnectionInvalid, check
from engine.errors import LoomError
from engine.runtime.scrub import Scrubber
from engine.vault import check_name

from .vault_forms import (
    CONNECTIONS_HEADERS,
    SettingField,
    check_line,
    collect_settings,
    connection_rows,
    credentials_left_blank,
    field_errors,
    setting_fields,
    stored_values,
)

DEFAULT_KIND = "http"
ABOUT = ("### Connections\nA server and its credentials, named by workflows (`connection: crm`). Credentials are "
         "stored encrypted and never shown again; **Test** tries one real exchange with the server.")


@dataclass
class KindForm:
    kind: str
    fields: list[SettingField]
    group: gr.Group
    boxes: list[Any]


class ConnectionForms:
    """Every kind's group of boxes; Save gets all of their values, in `boxes()` order."""

    def __init__(self, forms: Iterable[KindForm]) -> None:
        self.forms = {form.kind: form for form in forms}

    def boxes(self) -> list[Any]:
        return [box for form in self.forms.values() for box in form.boxes]

    def groups(self) -> list[gr.Group]:
        return [form.group for form in self.forms.values()]

    def values_of(self, kind: str, values: tuple[Any, ...]) -> list[Any]:
        """The values of `kind`'s boxes among all of Save's box values."""
        start = 0
        for form in self.forms.values():
            if form.kind == kind:
                return list(values[start:start + len(form.boxes)])
            start += len(form.boxes)
        raise KeyError(kind)

    def reset(self, kind: str | None = None, errors: Mapping[str, str] | None = None) -> list[dict]:
        """An update per box: credentials emptied everywhere, `errors` marked on `kind`'s boxes."""
        return [_box_update(field, (errors or {}).get(field.key) if form.kind == kind else None)
                for form in self.forms.values() for field in form.fields]

    def filled(self, kind: str, values: list[Any]) -> list[dict]:
        """`kind`'s boxes set to `values`, every credential box emptied, the other kinds' settings kept."""
        updates: list[dict] = []
        for form in self.forms.values():
            if form.kind != kind:
                updates += [gr.update(value="") if field.secret else gr.skip() for field in form.fields]
                continue
            updates += [gr.update(value="" if field.secret else value, info=field.info or None)
                        for field, value in zip(form.fields, values, strict=True)]
        return updates


@dataclass
class ConnectionsSection:
    table: gr.Dataframe
    picked: gr.Dropdown


def build(loom) -> ConnectionsSection:
    """Draw the section into the enclosing tab and wire its buttons to `loom.vault`."""
    gr.Markdown(ABOUT)
    table = gr.Dataframe(headers=CONNECTIONS_HEADERS, value=[], interactive=False, wrap=True, max_height=300,
                         label="Stored connections (click one to test, load or delete it)", elem_id="connections-table")
    with gr.Row(equal_height=True):
        picked = gr.Dropdown([], value=None, label="Connection", elem_id="connection-picked", scale=3)
        test = gr.Button("Test", variant="primary", elem_id="connection-test", scale=0, min_width=90)
        load = gr.Button("Load into form", elem_id="connection-load", scale=0, min_width=170)
        delete = gr.Button("Delete", variant="stop", elem_id="connection-delete", scale=0, min_width=90)
    result = gr.Markdown("", elem_id="connection-result")
    with gr.Column(variant="panel"):
        gr.Markdown("#### Add or replace a connection")
        with gr.Row():
            name = gr.Textbox(label="Name", placeholder="e.g. crm", elem_id="connection-name", scale=2,
                              info="Letters, digits and underscores; a stored connection of this name is replaced.")
            kind = gr.Dropdown(list(KINDS), value=DEFAULT_KIND, label="Kind", elem_id="connection-kind", scale=1)
        forms = ConnectionForms(_kind_form(kind_name, kind_name == DEFAULT_KIND) for kind_name in KINDS)
        save = gr.Button("Save connection", variant="primary", elem_id="connection-save")
        notice = gr.Markdown("", elem_id="connection-notice")
    section = ConnectionsSection(table, picked)
    _wire(loom, section, forms, result, (name, kind, save, notice), (test, load, delete))
    return section


def _kind_form(kind: str, visible: bool) -> KindForm:
    fields = setting_fields(KINDS[kind])
    with gr.Group(visible=visible, elem_id=f"connection-form-{kind}") as group:
        boxes = []
        for start in range(0, len(fields), 2):  # two boxes a row: smtp's eight settings stay on one screen
            with gr.Row():
                boxes += [_box(kind, field) for field in fields[start:start + 2]]
    return KindForm(kind, fields, group, boxes)


def _box(kind: str, field: SettingField) -> Any:
    common = {"label": field.label, "info": field.info or None, "elem_id": f"connection-{kind}-{field.key}",
              "interactive": True}
    if field.secret:
        return gr.Textbox(value="", type="password", placeholder="not shown", **common)
    if field.kind == "choice":
        return gr.Dropdown(list(field.choices), value=field.value, **common)
    if field.kind == "checkbox":
        return gr.Checkbox(value=bool(field.value), **common)
    if field.kind in ("integer", "number"):
        return gr.Number(value=field.value, precision=0 if field.kind == "integer" else None, **common)
    return gr.Textbox(value="" if field.value is None else str(field.value), **common)


def _box_update(field: SettingField, error: str | None) -> dict:
    """A box's info line, saying what is wrong with it (in red: `field-error` in the UI's CSS) or what it is."""
    info = f"✗ {error}. {field.info}".strip() if error else field.info or None
    marks = {"info": info, "elem_classes": ["field-error"] if error else []}
    return gr.update(value="", **marks) if field.secret else gr.update(**marks)


def _wire(loom, section: ConnectionsSection, forms: ConnectionForms, result: gr.Markdown,
          form: tuple, buttons: tuple) -> None:
    name, kind, save, notice = form
    test, load, delete = buttons
    boxes = forms.boxes()

    def show_kind(chosen: str):
        return [gr.update(visible=k == chosen) for k in forms.forms]

    async def run_test(picked: str | None):  # an async generator function, so Gradio streams its lines
        async for line in check_connection(loom, picked):
            yield line

    private = {"api_visibility": "private"}  # the vault's door for scripts is /api/v1, behind an API key
    kind.change(show_kind, kind, forms.groups(), show_progress="hidden", **private)
    section.table.select(picked_row, None, section.picked, **private)
    test.click(run_test, section.picked, result, show_progress="hidden", **private)
    load.click(lambda picked: _load(loom, forms, picked), section.picked, [notice, name, kind, *boxes], **private)
    delete.click(lambda picked: _delete(loom, picked), section.picked, [result, section.table, section.picked],
                 **private)
    save.click(lambda *values: _save(loom, forms, *values), [name, kind, *boxes],
               [notice, section.table, section.picked, *boxes], **private)


def listing(loom, picked: str | None = None) -> tuple[Any, Any]:
    """The connections table and the picker's choices (keeping `picked` if it is still stored)."""
    infos = loom.vault.connections_info()
    names = [info.name for info in infos]
    return (gr.Dataframe(value=connection_rows(infos), headers=CONNECTIONS_HEADERS),
            gr.Dropdown(choices=names, value=picked if picked in names else None))


def picked_row(event: gr.SelectData) -> Any:
    """The name in the clicked row (a table's first column)."""
    return str(event.row_value[0]) if event.row_value else gr.skip()


async def check_connection(loom, name: str | None) -> AsyncIterator[str]:
    """Yields "Testing …", then ✓ with what worked or ✗ with why not."""
    if not name:
        yield "Pick a connection, or click one in the table, to test it."
        return
    yield f"Testing `{name}`…"
    yield await _check(loom, name)


async def _check(loom, name: str) -> str:
    try:  # reading and decrypting is a short blocking transaction: off the event loop too
        connection = await asyncio.to_thread(loom.vault.connection, name)
    except LoomError as exc:
        return check_line(False, str(exc))
    scrub = Scrubber(connection.secret_values())
    try:
        return check_line(True, f"{name}: {scrub.text(await check(connection))}")
    except LoomError as exc:  # ConnectionCheckFailed, or a connector's own refusal
        return check_line(False, scrub.text(str(exc)))


def _load(loom, forms: ConnectionForms, name: str | None) -> tuple:
    skipped = [gr.skip()] * len(forms.boxes())
    if not name:
        return "Pick a connection, or click one in the table, to load it into the form.", gr.skip(), gr.skip(), *skipped
    try:
        connection = loom.vault.connection(name)
    except LoomError as exc:
        return check_line(False, str(exc)), gr.skip(), gr.skip(), *skipped
    values = stored_values(forms.forms[connection.kind].fields, connection.settings())
    notice = f"Loaded `{name}`: its credentials are not shown, type them again to replace it."
    return notice, name, connection.kind, *forms.filled(connection.kind, values)


def _delete(loom, name: str | None) -> tuple:
    if not name:
        return "Pick a connection, or click one in the table, to delete it.", gr.skip(), gr.skip()
    try:
        deleted = loom.vault.delete_connection(name)
    except LoomError as exc:
        return check_line(False, str(exc)), gr.skip(), gr.skip()
    line = f"✓ Deleted connection `{name}`." if deleted else f"✗ No connection named `{name}` is stored."
    return (line, *listing(loom))


def _save(loom, forms: ConnectionForms, name: str | None, kind: str | None, *values: Any) -> tuple:
    name = (name or "").strip()
    if kind not in forms.forms:
        return "✗ Pick the connection's kind.", gr.skip(), gr.skip(), *forms.reset()
    fields = forms.forms[kind].fields
    settings = collect_settings(fields, forms.values_of(kind, values))
    scrub = Scrubber(str(settings[f.key]) for f in fields if f.secret and f.key in settings)
    try:
        check_name(name, "connection")
        connection = Connection.parse(name, kind, settings)
        replaced = name in loom.vault.connection_names()
        loom.vault.add_connection(connection)
    except ConnectionInvalid as exc:
        errors = {key: scrub.text(message) for key, message in field_errors(KINDS[kind], settings).items()}
        return check_line(False, scrub.text(str(exc))), gr.skip(), gr.skip(), *forms.reset(kind, errors)
    except LoomError as exc:  # a name the vault refuses, a key it cannot use
        return check_line(False, scrub.text(str(exc))), gr.skip(), gr.skip(), *forms.reset()
    return (_saved_line(connection, replaced, credentials_left_blank(fields, settings)), *listing(loom, name),
            *forms.reset())


def _saved_line(connection: Connection, replaced: bool, blank: list[str]) -> str:
    line = f"✓ {'Replaced' if replaced else 'Added'} connection `{connection.name}` ({connection.kind})"
    line += f": {connection.summary()}." if connection.summary() else "."
    return line + (f" Stored without {', '.join(f'`{key}`' for key in blank)}." if blank else "")
