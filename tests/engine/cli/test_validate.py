"""`loom validate` and `loom schema`, run the way a person or CI runs them: as a process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

VALID = """\
loom: 1
name: hello
inputs:
  who: {type: string, default: world}
steps:
  - id: greet
    type: reply
    text: "Hello ${{ inputs.who }}"
    retry: {max_attempts: 2, on: [timeout]}
"""
TYPO = """\
loom: 1
name: typo
steps:
  - id: fetch
    type: http
    urll: https://example.org
"""
TWO_MISTAKES = """\
loom: 1
name: Two
steps:
  - id: a
    type: reply
    txt: hi
"""
LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<message>.+?)(?: \((?P<hint>.+)\))?$"
)


def loom_command() -> list[str]:
    script = shutil.which("loom", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "engine.cli"]


def loom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loom_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "valid.yaml").write_text(VALID)
    (tmp_path / "typo.yaml").write_text(TYPO)
    (tmp_path / "two.yaml").write_text(TWO_MISTAKES)
    return tmp_path


def test_valid_file_exits_0(files: Path):
    result = loom("validate", "valid.yaml", cwd=files)
    assert result.returncode == 0, result.stderr
    assert "valid.yaml" in result.stdout


def test_invalid_file_exits_1_with_file_line_col_path_message_hint(files: Path):
    result = loom("validate", "typo.yaml", cwd=files)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    lines = [m.groupdict() for line in output.splitlines() if (m := LINE.match(line))]
    assert lines == [{"file": "typo.yaml", "line": "6", "column": "5", "path": "steps[0].urll",
                      "message": "unknown field 'urll'", "hint": "did you mean 'url'?"}]
    assert "typo.yaml:6:5: steps[0].urll: unknown field 'urll' (did you mean 'url'?)" in output.splitlines()


def test_every_problem_gets_its_own_line(files: Path):
    result = loom("validate", "two.yaml", cwd=files)
    assert result.returncode == 1
    found = [LINE.match(line) for line in (result.stdout + result.stderr).splitlines()]
    found = [(m["path"], m["line"]) for m in found if m]
    assert found == [("name", "2"), ("steps[0].txt", "6")]


def test_json_shape(files: Path):
    result = loom("validate", "valid.yaml", "typo.yaml", "--json", cwd=files)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report == [
        {"file": "valid.yaml", "valid": True, "errors": []},
        {"file": "typo.yaml", "valid": False, "errors": [
            {"path": "steps[0].urll", "line": 6, "column": 5, "message": "unknown field 'urll'",
             "hint": "did you mean 'url'?"},
        ]},
    ]


def test_json_errors_have_exactly_the_documented_keys(files: Path):
    result = loom("validate", "--json", "two.yaml", cwd=files)
    (entry,) = json.loads(result.stdout)
    assert set(entry) == {"file", "valid", "errors"}
    assert entry["valid"] is False and len(entry["errors"]) == 2
    for error in entry["errors"]:
        assert set(error) == {"path", "line", "column", "message", "hint"}
        assert isinstance(error["line"], int) and isinstance(error["column"], int)
        assert isinstance(error["message"], str) and error["message"]
        assert error["hint"] is None or isinstance(error["hint"], str)


def test_json_all_valid_exits_0(files: Path):
    (files / "again.yaml").write_text(VALID.replace("hello", "again"))
    result = loom("validate", "--json", "valid.yaml", "again.yaml", cwd=files)
    assert result.returncode == 0
    assert [entry["valid"] for entry in json.loads(result.stdout)] == [True, True]


def test_several_files_one_invalid_exits_1_and_reports_each(files: Path):
    result = loom("validate", "valid.yaml", "typo.yaml", "two.yaml", cwd=files)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "valid.yaml" in output
    reported = {m["file"] for line in output.splitlines() if (m := LINE.match(line))}
    assert reported == {"typo.yaml", "two.yaml"}


def test_nonexistent_file_is_invalid_not_a_crash(files: Path):
    result = loom("validate", "missing.yaml", cwd=files)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "missing.yaml" in output and "Traceback" not in output
    assert "cannot read file" in output


def test_nonexistent_file_in_json(files: Path):
    result = loom("validate", "--json", "valid.yaml", "missing.yaml", cwd=files)
    assert result.returncode == 1
    valid, missing = json.loads(result.stdout)
    assert valid["valid"] is True
    assert missing["file"] == "missing.yaml" and missing["valid"] is False
    (error,) = missing["errors"]
    assert set(error) == {"path", "line", "column", "message", "hint"}
    assert "cannot read file" in error["message"]


def test_directory_and_binary_files_are_invalid_not_a_crash(files: Path):
    (files / "binary.yaml").write_bytes(b"\xff\xfe\x00loom")
    (files / "folder.yaml").mkdir()
    result = loom("validate", "--json", "binary.yaml", "folder.yaml", cwd=files)
    assert result.returncode == 1, result.stderr
    assert [entry["valid"] for entry in json.loads(result.stdout)] == [False, False]


def test_broken_yaml_has_a_position(files: Path):
    (files / "broken.yaml").write_text("loom: 1\nname: t\nsteps: [\n")
    result = loom("validate", "broken.yaml", cwd=files)
    assert result.returncode == 1
    (match,) = [m for line in (result.stdout + result.stderr).splitlines() if (m := LINE.match(line))]
    assert match["file"] == "broken.yaml" and match["line"] == "4" and "YAML" in match["message"]


def test_no_files_is_a_usage_error(files: Path):
    result = loom("validate", cwd=files)
    assert result.returncode not in (0, 1)
    assert "usage" in result.stderr.lower()


def test_examples_validate(tmp_path: Path):
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    if not examples:
        pytest.skip("no examples yet")
    result = loom("validate", *map(str, examples), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_prints_json_with_id(tmp_path: Path):
    result = loom("schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$id"].startswith("https://")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "steps" in schema["properties"]


def test_schema_matches_the_committed_file(tmp_path: Path):
    result = loom("schema", cwd=tmp_path)
    assert result.stdout == (ROOT / "schemas" / "workflow.schema.json").read_text()
