"""The `file` step on the local files directory: each operation, its limits and its errors."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import engine
from engine.connections import Connection
from engine.files import MAX_READ_BYTES, MAX_WRITE_BYTES
from engine.testing import run_case
from tests.conftest import ROOT


def workflow(step: str) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: file-test
inputs:
  path: {{type: string, default: notes.txt}}
  text: {{type: string, default: ""}}
  pattern: {{type: string, default: "x"}}
steps:
  - id: f
    type: file
{step}
outputs:
  result: ${{{{ steps.f.output }}}}
""")


async def run(step: str, files: Path, **inputs) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), files_dir=files)
    return await engine.run(workflow(step), inputs, services=services)


async def output(step: str, files: Path, **inputs):
    result = await run(step, files, **inputs)
    assert result.status == "succeeded", result.error
    return result.outputs["result"]


async def failure(step: str, files: Path, **inputs) -> dict:
    result = await run(step, files, **inputs)
    assert result.status == "failed", result.outputs
    assert result.error is not None
    return result.error


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "files"


WRITE = "    op: write\n    path: ${{ inputs.path }}\n    content: ${{ inputs.text }}"
APPEND = WRITE + "\n    append: true"
READ = "    op: read_lines\n    path: ${{ inputs.path }}"
GREP = "    op: grep\n    path: ${{ inputs.path }}\n    pattern: ${{ inputs.pattern }}"


# ---- write -------------------------------------------------------------------------------------

async def test_write_creates_the_directory_and_parent_folders(files):
    assert not files.exists()

    out = await output(WRITE, files, path="reports/2025/today.txt", text="héllo\n")

    assert out == {"path": "reports/2025/today.txt", "bytes": len("héllo\n".encode())}
    assert (files / "reports/2025/today.txt").read_text() == "héllo\n"


async def test_write_replaces_atomically_through_a_renamed_temporary_file(files):
    target = files / "state.txt"
    files.mkdir()
    target.write_text("old\n")
    before = target.stat().st_ino
    with open(target) as reader_of_the_old_file:
        await output(WRITE, files, path="state.txt", text="new\n")
        assert reader_of_the_old_file.read() == "old\n"  # the old file was never written to

    assert target.read_text() == "new\n"
    assert target.stat().st_ino != before
    assert sorted(p.name for p in files.iterdir()) == ["state.txt"]  # no temporary file left behind


async def test_append_adds_in_place_and_creates_a_missing_file(files):
    await output(APPEND, files, path="log/a.txt", text="one\n")
    inode = (files / "log/a.txt").stat().st_ino

    out = await output(APPEND, files, path="log/a.txt", text="two\n")

    assert out == {"path": "log/a.txt", "bytes": 4}
    assert (files / "log/a.txt").read_text() == "one\ntwo\n"
    assert (files / "log/a.txt").stat().st_ino == inode


async def test_write_of_a_non_string_value_writes_json(files):
    step = "    op: write\n    path: data.json\n    content: \"${{ {'n': 1, 'tags': ['a']} }}\""

    await output(step, files)

    assert json.loads((files / "data.json").read_text()) == {"n": 1, "tags": ["a"]}


async def test_write_over_the_limit_fails_and_writes_nothing(files):
    error = await failure(WRITE, files, path="big.txt", text="x" * (MAX_WRITE_BYTES + 1))

    assert error["type"] == "file"
    assert "larger than 10 MiB" in error["message"]
    assert not (files / "big.txt").exists()


async def test_append_that_would_grow_the_file_past_the_limit_fails_and_leaves_it(files):
    files.mkdir()
    (files / "log.txt").write_bytes(b"x" * (MAX_WRITE_BYTES - 2))

    error = await failure(APPEND, files, path="log.txt", text="abc")

    assert error["type"] == "file"
    assert (files / "log.txt").stat().st_size == MAX_WRITE_BYTES - 2


async def test_write_onto_a_folder_fails(files):
    (files / "reports").mkdir(parents=True)

    error = await failure(WRITE, files, path="reports", text="x")

    assert error["type"] == "file" and "folder" in error["message"]


# ---- read_lines ----------------------------------------------------------------------------------

async def test_read_lines_pages_with_start_limit_and_next(files):
    files.mkdir()
    (files / "notes.txt").write_text("\n".join(f"line {n}" for n in range(1, 8)) + "\n")
    step = READ + "\n    start: 3\n    limit: 2"

    assert await output(step, files) == {"lines": ["line 3", "line 4"], "next": 5}
    assert await output(READ + "\n    start: 6", files) == {"lines": ["line 6", "line 7"], "next": None}
    assert await output(READ + "\n    start: 6\n    limit: 2", files) == {"lines": ["line 6", "line 7"], "next": None}
    assert await output(READ + "\n    start: 50", files) == {"lines": [], "next": None}


async def test_read_lines_drops_line_endings_and_a_byte_order_mark(files):
    files.mkdir()
    (files / "notes.txt").write_bytes(b"\xef\xbb\xbfa\r\nb\n\nlast")

    assert await output(READ, files) == {"lines": ["a", "b", "", "last"], "next": None}


async def test_read_lines_of_a_missing_file_is_a_file_error(files):
    error = await failure(READ, files, path="nope/missing.txt")

    assert error["type"] == "file"
    assert "nope does not exist" in error["message"]


async def test_read_lines_of_a_binary_file_is_a_file_error(files):
    files.mkdir()
    (files / "notes.txt").write_bytes(b"fine\n\xff\xfe\x00garbage\n")

    error = await failure(READ, files)

    assert error["type"] == "file" and "not a UTF-8 text file (line 2)" in error["message"]


async def test_read_lines_of_a_folder_is_a_file_error(files):
    (files / "notes.txt").mkdir(parents=True)

    assert "folder" in (await failure(READ, files))["message"]


async def test_read_of_a_file_over_the_limit_fails_before_reading(files):
    files.mkdir()
    (files / "notes.txt").write_bytes(b"a\n" * (MAX_READ_BYTES // 2) + b"b")

    for step in (READ + "\n    limit: 1", GREP):
        error = await failure(step, files)
        assert error["type"] == "file"
        assert "larger than 10 MiB" in error["message"]


async def test_a_file_of_exactly_the_limit_is_read(files):
    files.mkdir()
    (files / "notes.txt").write_bytes(b"a" * (MAX_READ_BYTES - 2) + b"\nb")

    out = await output(READ + "\n    start: 2", files)

    assert out == {"lines": ["b"], "next": None}


# ---- grep ----------------------------------------------------------------------------------------

async def test_grep_returns_line_numbers_and_texts_up_to_limit(files):
    files.mkdir()
    (files / "app.log").write_text("ok\nERROR one\nok\nCRITICAL two\nERROR three\n")
    step = GREP + "\n    limit: 2"

    out = await output(step, files, path="app.log", pattern=r"\b(ERROR|CRITICAL)\b")

    assert out == [{"line": 2, "text": "ERROR one"}, {"line": 4, "text": "CRITICAL two"}]
    assert await output(GREP, files, path="app.log", pattern="nothing") == []


async def test_grep_with_an_invalid_literal_pattern_fails_to_load():
    with pytest.raises(engine.ValidationError, match="not a valid regular expression"):
        workflow("    op: grep\n    path: a.log\n    pattern: '(unclosed'")


async def test_grep_with_an_invalid_rendered_pattern_fails_the_step(files):
    files.mkdir()
    (files / "a.log").write_text("x\n")

    error = await failure(GREP, files, path="a.log", pattern="(unclosed")

    assert "not a valid regular expression" in error["message"]


async def test_a_catastrophic_pattern_is_stopped_at_the_step_timeout(files):
    files.mkdir()
    (files / "a.log").write_text("a" * 40 + "b\n")
    started = time.perf_counter()

    error = await failure(GREP + "\n    timeout: 1s", files, path="a.log", pattern="^(a+)+$")

    assert error["type"] == "timeout"
    assert time.perf_counter() - started < 5


# ---- delete and list -----------------------------------------------------------------------------

async def test_delete_removes_a_file_and_reports_a_missing_one(files):
    files.mkdir()
    (files / "old.txt").write_text("x")
    step = "    op: delete\n    path: ${{ inputs.path }}"

    assert await output(step, files, path="old.txt") == {"path": "old.txt", "deleted": True}
    assert not (files / "old.txt").exists()
    assert await output(step, files, path="old.txt") == {"path": "old.txt", "deleted": False}
    assert await output(step, files, path="no/such/folder.txt") == {"path": "no/such/folder.txt", "deleted": False}


async def test_delete_refuses_a_folder(files):
    (files / "keep").mkdir(parents=True)

    error = await failure("    op: delete\n    path: keep", files)

    assert error["type"] == "file"
    assert (files / "keep").is_dir()


async def test_list_gives_names_types_and_sizes_sorted_up_to_limit(files):
    (files / "logs").mkdir(parents=True)
    (files / "b.txt").write_text("12345")
    (files / "a.txt").write_text("")
    (files / "fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(files / "fifo")  # neither file nor folder: left out
    step = "    op: list\n    path: ${{ inputs.path }}"

    assert await output(step, files, path=".") == [
        {"name": "a.txt", "type": "file", "size": 0},
        {"name": "b.txt", "type": "file", "size": 5},
        {"name": "logs", "type": "dir", "size": None},
    ]
    assert await output(step + "\n    limit: 1", files, path="") == [{"name": "a.txt", "type": "file", "size": 0}]
    assert await output(step, files, path="logs") == []


async def test_list_of_a_missing_folder_or_a_file_fails(files):
    files.mkdir()
    (files / "a.txt").write_text("x")
    step = "    op: list\n    path: ${{ inputs.path }}"

    assert "does not exist" in (await failure(step, files, path="missing"))["message"]
    assert "not a folder" in (await failure(step, files, path="a.txt"))["message"]


# ---- load-time checks and connections ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../b", "a\\b", ".", ""])
def test_literal_paths_outside_the_directory_fail_to_load(path):
    with pytest.raises(engine.ValidationError, match="path"):
        workflow(f"    op: read_lines\n    path: {json.dumps(path)}")


def test_a_step_with_a_connection_declares_it():
    wf = workflow("    op: list\n    path: .\n    connection: reports_bucket")

    needs = [need for _, step, _ in wf.walk() for need in step.connections()]

    assert [(n.name, n.kind) for n in needs] == [("reports_bucket", "s3")]


async def test_a_run_whose_bucket_is_not_configured_fails_before_its_first_step(files):
    result = await run("    op: list\n    path: .\n    connection: reports_bucket", files)

    assert result.status == "failed"
    assert result.error["type"] == "missing"
    assert "s3 connection 'reports_bucket'" in result.error["message"]
    assert result.steps == []


# ---- loom test -----------------------------------------------------------------------------------

ROUND_TRIP = engine.loads("""
loom: 1
name: round-trip
inputs:
  text: {type: string}
steps:
  - {id: before, type: file, op: list, path: .}
  - {id: save, type: file, op: write, path: out/note.txt, content: "${{ inputs.text }}"}
  - {id: back, type: file, op: read_lines, path: out/note.txt}
outputs:
  before: ${{ steps.before.output }}
  lines: ${{ steps.back.output.lines }}
tests:
  - name: first
    inputs: {text: one}
    expect: {outputs: {before: [], lines: [one]}}
  - name: second sees none of the first's files
    inputs: {text: two}
    expect: {outputs: {before: [], lines: [two]}}
""")


async def test_loom_test_runs_file_steps_in_a_fresh_directory_per_case(loom_home):
    workspace = loom_home / "files"
    workspace.mkdir(parents=True)
    (workspace / "real.txt").write_text("the workspace's own file")

    results = [await run_case(ROUND_TRIP, case) for case in ROUND_TRIP.tests]

    assert [r.failures for r in results] == [[], []]
    assert sorted(p.name for p in workspace.iterdir()) == ["real.txt"]


async def test_loom_test_refuses_an_unmocked_bucket_step():
    wf = engine.loads("""
loom: 1
name: bucket-test
steps:
  - {id: up, type: file, op: write, path: a.txt, content: x, connection: reports}
tests:
  - name: unmocked
    expect: {status: failed}
  - name: mocked
    mocks: {up: {path: a.txt, bytes: 1}}
""")
    unmocked, mocked = [await run_case(wf, case) for case in wf.tests]

    assert unmocked.failures == [] and mocked.failures == []


async def test_log_grep_report_example_greps_and_writes_for_real(files):
    wf = engine.load(ROOT / "examples" / "log-grep-report.yaml")
    (files / "logs").mkdir(parents=True)
    (files / "logs/app.log").write_text("02:00 INFO ok\n02:11 ERROR payment 4411 declined\n02:12 INFO ok\n")
    report = {"total": 1, "distinct": 1, "report": "    1x payment # declined"}
    smtp = Connection.parse("smtp", "smtp", {"host": "127.0.0.1", "from": "loom@example.org"})  # mocked: never used
    services = engine.Services(store=engine.MemoryStore(), files_dir=files, secrets={"ONCALL_EMAIL": "a@b.c"},
                               connections={"smtp": smtp}, mocks={"tally": report, "notify": {"message_id": "m"}})

    result = await engine.run(wf, {}, services=services, trigger={"channel": "cron"})

    assert result.status == "succeeded", result.error
    grep = next(r for r in result.steps if r.step_id == "grep_errors")
    assert grep.output == [{"line": 2, "text": "02:11 ERROR payment 4411 declined"}]
    written = next(r for r in result.steps if r.step_id == "write_report").output
    assert (files / written["path"]).read_text().startswith("Errors in logs/app.log")
