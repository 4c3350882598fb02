"""Saved workflows: named, versioned YAML in the store's database.

The builder's "save", `PUT /api/v1/workflows/{name}` and the channels all go through one
`Catalog`. Every save is validated first (an invalid document is refused with the same
problems `loom validate` prints, and nothing stored changes); saving text identical to the
newest version is a no-op that returns it. A catalog also resolves names for `workflow`
steps and `loom run NAME`, falling back to workflow files (`FileLibrary`).

Calls are short blocking transactions, like `SqlStore`'s (see its docstring for why).
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .errors import Problem, ValidationError, WorkflowNotFound
from .language.workflow import Workflow
from .library import FileLibrary
from .loader import loads
from .runtime.store.migrations import ENGINE as MIGRATIONS
from .runtime.store.sql import utc
from .runtime.store.tables import workflow_versions, workflows

ChangeListener = Callable[[str], None]
"""Called with a workflow's name after it is saved, enabled, disabled or deleted."""


@dataclass(frozen=True)
class SavedWorkflow:
    name: str
    version: int
    enabled: bool
    source: str
    created_at: datetime
    updated_at: datetime

    @property
    def workflow(self) -> Workflow:
        return _parse(self.name, self.version, self.source)

    def to_dict(self, *, source: bool = True) -> dict:
        workflow = self.workflow
        data = {
            "name": self.name,
            "version": self.version,
            "enabled": self.enabled,
            "description": workflow.description,
            "triggers": [t.model_dump(mode="json", exclude_none=True, by_alias=True) for t in workflow.triggers],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
        if source:
            data["yaml"] = self.source
        return data


@dataclass(frozen=True)
class VersionInfo:
    version: int
    sha256: str
    created_at: datetime


@dataclass
class Catalog:
    engine: Engine
    files: FileLibrary | None = field(default_factory=FileLibrary)
    """Where names not saved in the catalog are looked up; None to use the catalog alone."""
    listeners: list[ChangeListener] = field(default_factory=list)

    # ---- writing ------------------------------------------------------------------------

    def save(self, source: str, *, name: str | None = None) -> SavedWorkflow:
        """Validate `source` and store it as the newest version of its workflow."""
        workflow = loads(source, f"<{name or 'workflow'}>")
        if name is not None and workflow.name != name:
            raise ValidationError([Problem("name", f"the document is named '{workflow.name}' but is saved "
                                                   f"as '{name}'", hint=f"set `name: {name}` or save it as "
                                                                         f"'{workflow.name}'")])
        digest = hashlib.sha256(source.encode()).hexdigest()
        name = workflow.name
        if self._newest_sha256(name) == digest:
            return self.get(name)
        now = _now()
        with self._begin() as conn:
            # Write first: the statement takes SQLite's write lock (PostgreSQL's row lock), so
            # concurrent saves of one workflow queue up instead of reading the same version.
            touched = conn.execute(update(workflows).where(workflows.c.name == name).values(updated_at=now)).rowcount
            if not touched:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(workflows).values(name=name, version=0, enabled=True,
                                                              created_at=now, updated_at=now))
                except IntegrityError:  # created by another save a moment ago: queue behind it
                    conn.execute(update(workflows).where(workflows.c.name == name).values(updated_at=now))
            version = conn.execute(select(workflows.c.version).where(workflows.c.name == name)).scalar_one() + 1
            conn.execute(update(workflows).where(workflows.c.name == name).values(version=version))
            conn.execute(insert(workflow_versions).values(name=name, version=version, source=source,
                                                          sha256=digest, created_at=now))
        self._changed(workflow.name)
        return self.get(workflow.name)

    def _newest_sha256(self, name: str) -> str | None:
        query = (select(workflow_versions.c.sha256)
                 .join(workflows, (workflows.c.name == workflow_versions.c.name)
                       & (workflows.c.version == workflow_versions.c.version))
                 .where(workflows.c.name == name))
        with self._begin() as conn:
            return conn.execute(query).scalar()

    def set_enabled(self, name: str, enabled: bool) -> SavedWorkflow:
        with self._begin() as conn:
            changed = conn.execute(update(workflows).where(workflows.c.name == name)
                                   .values(enabled=enabled, updated_at=_now())).rowcount
        if not changed:
            raise WorkflowNotFound(f"no saved workflow named '{name}'")
        self._changed(name)
        return self.get(name)

    def delete(self, name: str) -> bool:
        with self._begin() as conn:
            conn.execute(delete(workflow_versions).where(workflow_versions.c.name == name))
            deleted = conn.execute(delete(workflows).where(workflows.c.name == name)).rowcount
        if deleted:
            self._changed(name)
        return bool(deleted)

    # ---- reading ------------------------------------------------------------------------

    def get(self, name: str, version: int | None = None) -> SavedWorkflow:
        query = (select(workflows.c.name, workflow_versions.c.version, workflows.c.enabled,
                        workflow_versions.c.source, workflows.c.created_at, workflows.c.updated_at)
                 .join(workflow_versions, workflow_versions.c.name == workflows.c.name)
                 .where(workflows.c.name == name,
                        workflow_versions.c.version == (version if version is not None else workflows.c.version)))
        with self._begin() as conn:
            row = conn.execute(query).first()
        if row is None:
            what = f"version {version} of workflow '{name}'" if version is not None else f"workflow '{name}'"
            raise WorkflowNotFound(f"no saved {what}")
        return _saved(row)

    def list(self, *, enabled: bool | None = None, search: str | None = None,
             limit: int = 100, offset: int = 0) -> list[SavedWorkflow]:
        """Saved workflows by name; `search` matches a part of the name."""
        query = (select(workflows.c.name, workflows.c.version, workflows.c.enabled, workflow_versions.c.source,
                        workflows.c.created_at, workflows.c.updated_at)
                 .join(workflow_versions, (workflow_versions.c.name == workflows.c.name)
                       & (workflow_versions.c.version == workflows.c.version))
                 .order_by(workflows.c.name).limit(limit).offset(offset))
        query = self._filtered(query, enabled, search)
        with self._begin() as conn:
            return [_saved(row) for row in conn.execute(query)]

    def count(self, *, enabled: bool | None = None, search: str | None = None) -> int:
        query = self._filtered(select(func.count()).select_from(workflows), enabled, search)
        with self._begin() as conn:
            return conn.execute(query).scalar_one()

    def versions(self, name: str) -> builtins.list[VersionInfo]:
        query = (select(workflow_versions.c.version, workflow_versions.c.sha256, workflow_versions.c.created_at)
                 .where(workflow_versions.c.name == name).order_by(workflow_versions.c.version))
        with self._begin() as conn:
            rows = conn.execute(query).all()
        if not rows:
            raise WorkflowNotFound(f"no saved workflow named '{name}'")
        return [VersionInfo(*row) for row in rows]

    def __call__(self, name: str) -> Workflow:
        """Resolve a name for `workflow` steps: the newest saved version, else a workflow file."""
        try:
            return self.get(name).workflow
        except WorkflowNotFound:
            if self.files is None:
                raise
            return self.files(name)

    # ---- plumbing -----------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        self.listeners.append(listener)

    def _changed(self, name: str) -> None:
        for listener in self.listeners:
            listener(name)

    @staticmethod
    def _filtered(query, enabled: bool | None, search: str | None):
        if enabled is not None:
            query = query.where(workflows.c.enabled == enabled)
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(workflows.c.name.like(f"%{escaped}%", escape="\\"))
        return query

    def _begin(self):
        MIGRATIONS.upgrade(self.engine)
        return self.engine.begin()


@lru_cache(maxsize=512)
def _parse(name: str, version: int, source: str) -> Workflow:
    """Parsed once per version: a webhook burst must not re-validate the YAML on every call.
    (Workflows are not mutated by runs, so sharing one object is safe.)"""
    return loads(source, f"<workflow {name} v{version}>")


def _saved(row) -> SavedWorkflow:
    name, version, enabled, source, created_at, updated_at = row
    created, updated = utc(created_at), utc(updated_at)
    assert created is not None and updated is not None  # NOT NULL columns
    return SavedWorkflow(name, version, bool(enabled), source, created, updated)


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["Catalog", "SavedWorkflow", "VersionInfo"]
