"""No path a `file` step is given reaches outside the files directory: a corpus of hostile paths,
run through every operation, with canaries outside the directory and symlinks planted inside.

After every case, everything outside the files directory is exactly as it was (names, contents,
link targets), no output carries a canary's content, and no file was made in /etc. Paths that
are refused must be refused as `blocked`; the few that are merely odd (`%2e%2e`, `...`, `~`)
are taken literally and stay inside.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from contextlib import suppress
from pathlib import Path

import pytest

import engine
from engine.files import LocalFiles, split_path

CANARY = "CANARY-7f3a-do-not-leak"
PROBE = "loom-traversal-probe"

OPS = {
    "read_lines": "    op: read_lines\n    path: ${{ inputs.path }}",
    "grep": "    op: grep\n    path: ${{ inputs.path }}\n    pattern: '.'",
    "write": "    op: write\n    path: ${{ inputs.path }}\n    content: written",
    "append": "    op: write\n    path: ${{ inputs.path }}\n    content: written\n    append: true",
    "delete": "    op: delete\n    path: ${{ inputs.path }}",
    "list": "    op: list\n    path: ${{ inputs.path }}",
}

BLOCKED = [
    "..", "../", "../..", "../outside/secret.txt", "../../etc/passwd", f"../{PROBE}",
    "/etc/passwd", "/", "//etc/passwd", f"/tmp/{PROBE}",
    "a/../../b", "a/../b", "./../x", "sub/../../outside/secret.txt",
    "..\\..\\etc\\passwd", "a\\..\\..\\x", "..\\outside\\secret.txt",
    "secret.txt\x00.log", "\x00", "a/\x00/b", "../outside/secret.txt\x00", "a\nb",
    "x" * 256, "a/" * 600 + "b", ("n" * 250 + "/") * 5 + "c",
    "etc_link/passwd", f"etc_link/{PROBE}", "etc_link", "outside_link/secret.txt", "outside_link",
    f"outside_link/{PROBE}", "secret_link", "up/outside/secret.txt", "up", "abs_file",
    "sub/parent_link/outside/secret.txt", "sub/parent_link", "loop/x", "loop",
    "linked_dir/secret.txt", "linked_dir", "swap/secret.txt", "swap", "hard.txt",
]
LITERAL = [
    "%2e%2e/%2e%2e/etc/passwd", "%2e%2e%2fetc%2fpasswd", "..%2f..%2foutside%2fsecret.txt",
    "....//....//etc/passwd", "...", "~/.bashrc", "file:/etc/passwd", "\u2025/secret.txt",
    "\uff0e\uff0e/secret.txt", " ../x", "..;/x",
]
SAFE_ANYWAY = {("hard.txt", "write"), ("hard.txt", "delete"), ("hard.txt", "list")}
"""A hard link's other name is outside, but replacing or unlinking the name inside never touches
it, and listing a file fails (`file`); reading and appending through it are `blocked`."""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/outside holds canaries; tmp/root/files is the files directory, with traps planted in it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(CANARY + "\n")
    (outside / "hard-target.txt").write_text(CANARY + " hard\n")
    (outside / f"{CANARY}.name").write_text("a name that must never be listed\n")
    root = tmp_path / "root"
    files = root / "files"
    (files / "sub").mkdir(parents=True)
    (root / "canary.txt").write_text(CANARY + " sibling\n")
    for name, target in {"etc_link": "/etc", "outside_link": str(outside), "secret_link": str(outside / "secret.txt"),
                         "up": "..", "abs_file": "/etc/passwd", "loop": "loop", "linked_dir": "../../outside",
                         "sub/parent_link": "../.."}.items():
        (files / name).symlink_to(target)
    (files / "swap").mkdir()
    (files / "swap" / "secret.txt").write_text("inside\n")
    (files / "swap").rename(files / "swap-old")
    (files / "swap").symlink_to(outside)  # a folder swapped for a symlink after a workflow saw it
    os.link(outside / "hard-target.txt", files / "hard.txt")
    return tmp_path


def snapshot(top: Path) -> dict[str, str]:
    """Every entry under `top` except the files directory's insides: content or link target."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        if here == top / "root" / "files":
            dirnames.clear()
            continue
        for name in dirnames + filenames:
            path = here / name
            rel = str(path.relative_to(top))
            found[rel] = f"-> {os.readlink(path)}" if path.is_symlink() else (
                "dir" if path.is_dir() else path.read_text())
    return found


def workflow(op: str) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: traversal
inputs:
  path: {{type: string}}
steps:
  - id: f
    type: file
{OPS[op]}
outputs:
  result: ${{{{ steps.f.output }}}}
""")


WORKFLOWS = {op: workflow(op) for op in OPS}


async def attempt(op: str, path: str, tree: Path) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), files_dir=tree / "root" / "files")
    return await engine.run(WORKFLOWS[op], {"path": path}, services=services)


def assert_nothing_escaped(result: engine.RunResult, before: dict[str, str], tree: Path) -> None:
    assert snapshot(tree) == before
    assert CANARY not in json.dumps(result.outputs) + json.dumps(result.error)
    assert "root:x:0:0" not in json.dumps(result.outputs)
    assert not Path("/etc", PROBE).exists() and not Path("/tmp", PROBE).exists()
    assert not (tree / "root" / PROBE).exists() and not (tree.parent / PROBE).exists()


def test_the_corpus_is_large():
    assert len(BLOCKED) + len(LITERAL) >= 30 and len(BLOCKED) >= 30


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("path", BLOCKED, ids=ascii)
async def test_hostile_path_is_blocked(op: str, path: str, tree: Path):
    before = snapshot(tree)

    result = await attempt(op, path, tree)

    assert_nothing_escaped(result, before, tree)
    if (path, op) in SAFE_ANYWAY:
        return
    assert result.status == "failed", result.outputs
    assert result.error["type"] == "blocked", result.error


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("path", LITERAL, ids=ascii)
async def test_odd_path_is_taken_literally_and_stays_inside(op: str, path: str, tree: Path):
    before = snapshot(tree)

    result = await attempt(op, path, tree)

    assert_nothing_escaped(result, before, tree)
    if op in ("write", "append"):
        assert result.status == "succeeded", result.error
        parts = [p for p in path.split("/") if p not in ("", ".")]
        assert (tree / "root" / "files").joinpath(*parts).read_text() == "written"
    elif result.status == "failed":
        assert result.error["type"] == "file", result.error  # not found: nothing of that name was made


async def test_a_folder_swapped_for_a_symlink_while_steps_run_never_leads_outside(tree: Path):
    files = LocalFiles(tree / "root" / "files")
    real = tree / "root" / "files" / "flip"
    real.mkdir()
    (real / "secret.txt").write_text("inside\n")
    before = snapshot(tree)
    stop, swapped = threading.Event(), []
    thread = threading.Thread(target=flip, args=(real, tree / "outside", stop, swapped))
    thread.start()
    outputs = []
    try:
        for _ in range(200):
            outputs.append(await _quietly(files.read_lines(split_path("flip/secret.txt"), 1, None)))
            outputs.append(await _quietly(files.write(split_path("flip/secret.txt"), b"inside\n", append=False)))
            outputs.append(await _quietly(files.write(split_path("flip/new.txt"), b"x", append=True)))
            outputs.append(await _quietly(files.delete(split_path("flip/new.txt"))))
            outputs.append(await _quietly(files.list_dir(split_path("flip"), None)))
    finally:
        stop.set()
        thread.join()

    assert swapped, "the symlink was never in place: the race was not exercised"
    assert snapshot(tree) == before
    assert CANARY not in json.dumps(outputs)


def flip(real: Path, outside: Path, stop: threading.Event, swapped: list[int]) -> None:
    """Make `real` a symlink to `outside` and a folder again, as fast as it can, until `stop`.
    Steps may recreate `real` in between: every move is tried, and one that fails is skipped."""
    for turn in itertools.count():
        if stop.is_set():
            return
        aside = real.with_name(f"flip-aside-{turn}")
        with suppress(OSError):
            real.rename(aside)
        with suppress(OSError):
            real.symlink_to(outside)
            swapped.append(turn)
        with suppress(OSError):
            real.unlink()
        with suppress(OSError):
            aside.rename(real)


async def _quietly(operation) -> object:
    try:
        return await operation
    except engine.StepError as exc:
        return exc.kind
