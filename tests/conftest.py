"""Fixtures shared by every test: each test gets its own LOOM_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def loom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "loom-home"
    monkeypatch.setenv("LOOM_HOME", str(home))
    monkeypatch.delenv("LOOM_DATABASE_URL", raising=False)
    return home
