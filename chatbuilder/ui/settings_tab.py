"""The Settings tab: where the vault's key comes from, the stored secrets, and the connections.

    with gr.Tab("Settings", id="settings") as tab:
        settings_tab.build(loom, tab)

The same vault as `loom secrets` / `loom connections` and `/api/v1/secrets`, with the same
promise: a value goes in and never comes back out. Tables carry names, kinds, where a
connection points and times; a value typed here is sent once, with Save, and the password box
it was typed into is returned empty, so neither the page nor any of Gradio's responses holds
it afterwards. The vault's errors (a refused name, a key it cannot use) become a line on the
page. Everything is read again whenever the tab is opened: the CLI may have changed it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import gradio as gr

from engine.errors import LoomError

from . import connections_section
from .vault_forms import SECRETS_HEADERS, key_source_line, secret_rows

ABOUT = ("### Secrets\nWorkflows read a secret as `${{ secrets.NAME }}`. Values are stored encrypted and never "
         "shown again; a non-empty `LOOM_SECRET_<NAME>` in the server's environment wins over a stored value.")


@dataclass
class SecretsSection:
    table: gr.Dataframe
    name: gr.Textbox


def build(loom, tab: gr.Tab) -> None:
    """Draw the tab into the enclosing `gr.Tab` (`tab`, whose opening refreshes it)."""
    key_line = gr.Markdown(key_source_line(loom.vault.keys), elem_id="vault-key-source")
    secrets = _secrets_section(loom)
    connections = connections_section.build(loom)

    def refresh(picked: str | None):
        return (key_source_line(loom.vault.keys), secret_table(loom), *connections_section.listing(loom, picked))

    tab.select(refresh, connections.picked, [key_line, secrets.table, connections.table, connections.picked],
               show_progress="hidden", api_visibility="private")


def secret_table(loom) -> gr.Dataframe:
    return gr.Dataframe(value=secret_rows(loom.vault.secrets(), os.environ), headers=SECRETS_HEADERS)


def _secrets_section(loom) -> SecretsSection:
    gr.Markdown(ABOUT)
    table = gr.Dataframe(headers=SECRETS_HEADERS, value=[], interactive=False, max_height=260,
                         label="Stored secrets (click one to delete it)", elem_id="secrets-table")
    with gr.Row(equal_height=True):
        name = gr.Textbox(label="Name", placeholder="e.g. GITHUB_TOKEN", elem_id="secret-name", scale=2)
        value = gr.Textbox(label="Value", type="password", placeholder="not shown", elem_id="secret-value", scale=3)
        save = gr.Button("Save secret", variant="primary", elem_id="secret-save", scale=0, min_width=150)
        delete = gr.Button("Delete", variant="stop", elem_id="secret-delete", scale=0, min_width=90)
    notice = gr.Markdown("", elem_id="secrets-notice")
    table.select(connections_section.picked_row, None, name, api_visibility="private")
    gr.on([save.click, value.submit], lambda n, v: save_secret(loom, n, v), [name, value], [notice, table, value],
          api_visibility="private")  # scripts set secrets through /api/v1, behind an API key
    delete.click(lambda n: delete_secret(loom, n), name, [notice, table], api_visibility="private")
    return SecretsSection(table, name)


def save_secret(loom, name: str | None, value: str | None) -> tuple:
    """Store the secret; the value box always comes back empty, whatever happened."""
    name, cleared = (name or "").strip(), gr.Textbox(value="")
    if not value:
        return "✗ Type the secret's value (to remove a secret, use Delete).", gr.skip(), cleared
    try:
        loom.vault.set_secret(name, value)
    except LoomError as exc:
        return f"✗ {exc}", gr.skip(), cleared
    return f"✓ Saved secret `{name}`: workflows read it as `${{{{ secrets.{name} }}}}`.", secret_table(loom), cleared


def delete_secret(loom, name: str | None) -> tuple:
    name = (name or "").strip()
    if not name:
        return "Click a secret in the table, or type its name, to delete it.", gr.skip()
    try:
        deleted = loom.vault.delete_secret(name)
    except LoomError as exc:
        return f"✗ {exc}", gr.skip()
    if not deleted:
        return f"✗ No secret named `{name}` is stored.", gr.skip()
    return f"✓ Deleted secret `{name}`.", secret_table(loom)
