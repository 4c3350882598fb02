"""Settings come from the environment once, and a malformed value stops the server at start-up
with the variable's name, instead of failing the first request that needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from integrations.settings import Settings
from tests.conftest import ROOT


def test_defaults_work_on_a_fresh_machine():
    settings = Settings.from_env({})
    assert (settings.host, settings.port, settings.public_url) == ("127.0.0.1", 7860, None)
    assert settings.builder_model is None and settings.tracing and settings.cron_catch_up == "latest"


def test_values_are_read_and_normalised():
    settings = Settings.from_env({"LOOM_PUBLIC_URL": "https://loom.example.org/", "TELEGRAM_ALLOWED_CHATS": "1, 2,",
                                  "LOOM_TRACING": "off", "LOOM_BUILDER_MAX_ATTEMPTS": "5",
                                  "LOOM_RATE_LIMIT": "10,20"})
    assert settings.public_url == "https://loom.example.org"
    assert settings.telegram_allowed_chats == {"1", "2"}
    assert (settings.tracing, settings.builder_max_attempts, settings.rate_limit) == (False, 5, "10,20")


@pytest.mark.parametrize(("name", "value"), [
    ("LOOM_RATE_LIMIT", "fast"),
    ("LOOM_BUILDER_MAX_ATTEMPTS", "99"),
    ("LOOM_CRON_CATCH_UP", "all"),
])
def test_a_malformed_value_names_its_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_the_server_refuses_to_start_with_a_malformed_setting(loom_home):
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "LOOM_HOME": str(loom_home), "LOOM_RATE_LIMIT": "fast"})
    assert done.returncode == 1
    assert "loomwork: LOOM_RATE_LIMIT='fast'" in done.stderr
