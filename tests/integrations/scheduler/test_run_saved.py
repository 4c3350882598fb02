"""`loom run NAME` finds a workflow saved in the default database (newest version) before files.

Kept with the scheduler's tests because both resolve saved workflows; it drives the CLI as a user does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.catalog import Catalog
from engine.runtime.store import SqlStore

GREET = """loom: 1
name: greet
inputs:
  who: {type: string, default: world}
steps:
  - {id: say, type: reply, text: "%s, ${{ inputs.who }}!"}
"""


def loom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_loom_run_name_runs_the_newest_saved_version_before_a_file(loom_home: Path, tmp_path: Path):
    store = SqlStore()  # the default database: $LOOM_HOME/loom.db
    catalog = Catalog(store.engine)
    catalog.save(GREET % "Hello")
    catalog.save(GREET % "Howdy")
    store.close()
    (tmp_path / "greet.yaml").write_text(GREET % "From a file")

    done = loom("run", "greet", "-i", "who=Ada", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replies"] == ["Howdy, Ada!"]

    done = loom("run", "greet.yaml", "--json", cwd=tmp_path)  # a path is still a file
    assert json.loads(done.stdout)["replies"] == ["From a file, world!"]


def test_loom_run_of_an_unknown_name_says_where_it_looked(tmp_path: Path):
    done = loom("run", "nowhere", cwd=tmp_path)
    assert done.returncode == 1
    assert "'nowhere' is neither a saved workflow nor a file" in done.stderr
    assert "nowhere.yaml" in done.stderr
