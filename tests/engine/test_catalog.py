"""Saved workflows: validated before storing, versioned, enabled or not, found by name."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.errors import ValidationError, WorkflowNotFound
from engine.runtime.store.sql import create_store_engine

DOC = "loom: 1\nname: greet\nsteps:\n  - {{id: say, type: set, values: {{text: {text}}}}}\n"


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(create_store_engine(f"sqlite:///{tmp_path / 'catalog.db'}"), files=None)


def test_each_change_is_a_new_version_and_the_newest_runs(catalog: Catalog):
    first = catalog.save(DOC.format(text="hello"))
    second = catalog.save(DOC.format(text="hi"))
    assert (first.version, second.version) == (1, 2)
    assert catalog.get("greet").version == 2
    assert catalog("greet").steps[0].values == {"text": "hi"}
    assert "hello" in catalog.get("greet", version=1).source
    assert [v.version for v in catalog.versions("greet")] == [1, 2]


def test_saving_the_same_text_again_adds_no_version(catalog: Catalog):
    catalog.save(DOC.format(text="hello"))
    assert catalog.save(DOC.format(text="hello")).version == 1


def test_an_invalid_document_is_refused_and_nothing_stored_changes(catalog: Catalog):
    catalog.save(DOC.format(text="hello"))
    with pytest.raises(ValidationError) as caught:
        catalog.save("loom: 1\nname: greet\nsteps:\n  - {id: say, type: sett}\n")
    assert caught.value.problems[0].line == 4
    assert catalog.get("greet").version == 1 and [v.version for v in catalog.versions("greet")] == [1]


def test_the_name_in_the_document_must_match(catalog: Catalog):
    with pytest.raises(ValidationError, match="named 'greet' but is saved as 'hello'"):
        catalog.save(DOC.format(text="x"), name="hello")
    assert catalog.count() == 0


def test_listing_filters_and_pages(catalog: Catalog):
    for name in ("alpha", "beta", "gamma-report"):
        catalog.save(DOC.format(text="x").replace("greet", name))
    catalog.set_enabled("beta", False)
    assert [w.name for w in catalog.list()] == ["alpha", "beta", "gamma-report"]
    assert [w.name for w in catalog.list(enabled=True)] == ["alpha", "gamma-report"]
    assert [w.name for w in catalog.list(search="report")] == ["gamma-report"]
    assert [w.name for w in catalog.list(search="%")] == []  # a wildcard is matched literally
    assert [w.name for w in catalog.list(limit=1, offset=1)] == ["beta"]
    assert catalog.count(enabled=False) == 1


def test_delete_and_listeners(catalog: Catalog):
    changed: list[str] = []
    catalog.subscribe(changed.append)
    catalog.save(DOC.format(text="x"))
    catalog.set_enabled("greet", False)
    assert catalog.delete("greet") and not catalog.delete("greet")
    assert changed == ["greet", "greet", "greet"]
    with pytest.raises(WorkflowNotFound):
        catalog.get("greet")
    with pytest.raises(WorkflowNotFound):
        catalog.set_enabled("greet", True)


def test_names_not_saved_fall_back_to_workflow_files(tmp_path: Path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "greet.yaml").write_text(DOC.format(text="from-file"))
    from engine.library import FileLibrary

    catalog = Catalog(create_store_engine(f"sqlite:///{tmp_path / 'c.db'}"), files=FileLibrary(folder))
    assert catalog("greet").steps[0].values == {"text": "from-file"}
    catalog.save(DOC.format(text="saved"))
    assert catalog("greet").steps[0].values == {"text": "saved"}


def test_concurrent_saves_of_one_workflow_keep_every_version(catalog: Catalog):
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            catalog.save(DOC.format(text=f"v{i}"))
        except BaseException as exc:  # collected: a thread's exception would vanish otherwise
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [v.version for v in catalog.versions("greet")] == list(range(1, 9))
