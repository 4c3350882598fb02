"""Capability and change summaries a person reviews before saving."""

from __future__ import annotations

import engine
from chatbuilder import capabilities, summarize_changes
from tests.conftest import ROOT

from .workflows import DIGEST, DIGEST_WHATSAPP


def test_capabilities_of_a_shipped_example():
    caps = capabilities(engine.load(ROOT / "examples" / "daily-standup-summary.yaml"))
    assert caps.domains == ["api.openai.com", "api.twilio.com", "tracker.example.com"]
    assert caps.channels == ["whatsapp"] and caps.secrets == ["TEAM_WHATSAPP_GROUP", "TRACKER_TOKEN"]
    assert caps.models == ["openai/gpt-4o-mini"] and caps.triggers == ["cron", "whatsapp"]
    assert not caps.code_execution and caps.new is None


def test_code_execution_is_flagged_as_new():
    code = DIGEST.replace("outputs:", """\
  - id: count
    type: code
    source: "import json; print(json.dumps(1))"
outputs:""")
    before = capabilities(engine.loads(DIGEST))
    after = capabilities(engine.loads(code), before)
    assert after.code_execution and after.new.code_execution and after.new.domains == []


def test_change_summary_names_steps_triggers_and_models():
    new = DIGEST_WHATSAPP.replace("openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest").replace(
        "  - {type: telegram, command: digest, args: [url]}", "  - {type: webhook}")
    summary = summarize_changes(DIGEST, new)
    assert summary.steps_added == ["forward", "archive"] and summary.steps_changed == ["summarize"]
    assert summary.triggers_added == ["webhook"] and summary.triggers_removed == ["telegram digest"]
    assert summary.models_added == ["anthropic/claude-3-5-haiku-latest"]
    assert summary.models_removed == ["openai/gpt-4o-mini"]
    assert summary.text == ("Added steps forward, archive. Changed step summarize. Added trigger webhook. "
                            "Removed trigger telegram digest. Now uses model anthropic/claude-3-5-haiku-latest. "
                            "No longer uses model openai/gpt-4o-mini.")
    assert summarize_changes(DIGEST, DIGEST.replace("Summarize a page", "Digest a page")).text == \
        "Changed description."
