"""Finding workflows by name: `loom run NAME` and `workflow` steps.

`loom run NAME` looks in the saved workflows of the default database first (see `Catalog`),
then in the files below.

A name is looked up as `<dir>/<name>.yaml` in each search folder in order: the folder
of the workflow that asks (so examples can call each other), the current folder,
`./workflows`, and `$LOOM_HOME/workflows`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .errors import WorkflowNotFound
from .language.workflow import Workflow
from .loader import load


def loom_home() -> Path:
    return Path(os.environ.get("LOOM_HOME", ".loom"))


class FileLibrary:
    def __init__(self, *folders: Path | str):
        self.folders = [Path(f) for f in folders] + [Path("."), Path("workflows"), loom_home() / "workflows"]
        self._cache: dict[str, Workflow] = {}

    def find(self, name: str) -> Path:
        for folder in self.folders:
            for suffix in (".yaml", ".yml"):
                candidate = folder / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
        searched = ", ".join(str(f) for f in self.folders)
        raise WorkflowNotFound(f"no workflow named '{name}' (looked for {name}.yaml in {searched})")

    def __call__(self, name: str) -> Workflow:
        if name not in self._cache:
            self._cache[name] = load(self.find(name))
        return self._cache[name]


def load_file_or_name(target: str, saved: Callable[[str], Workflow] | None = None
                      ) -> tuple[Workflow, Callable[[str], Workflow]]:
    """`loom run FILE_OR_NAME`: a path to a file, or a name: a saved workflow (newest version) when
    `saved` (a `Catalog` falling back to files) is given, else a workflow file in the library.
    Returns the workflow and what resolves the names of its `workflow` steps."""
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        workflow = load(path)
        return workflow, FileLibrary(path.parent)
    library = saved or FileLibrary()
    return library(target), library
