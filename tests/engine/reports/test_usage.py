"""Usage and cost reports add up what real runs spent, per workflow, model, provider, day and run."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import update

from engine.reports import Window, provider_of, usage
from engine.runtime.store.tables import runs

from .conftest import run

DIGEST = """
loom: 1
name: digest
defaults: {{model: openai/gpt-4o-mini}}
steps:
  - id: prepare
    type: set
    values: {{topic: owls}}
  - id: summarize
    type: llm
    api_base: {base}
    prompt: Summarize ${{{{ steps.prepare.output.topic }}}}
"""

COMPARE = """
loom: 1
name: compare
steps:
  - id: big
    type: llm
    model: openai/gpt-4o
    api_base: {base}
    prompt: One answer
  - id: other
    type: llm
    model: deepseek/deepseek-chat
    api_base: {base}
    prompt: Another answer
"""

# The model never answers JSON: one repair request, then the step fails having spent tokens.
STRICT = """
loom: 1
name: strict
steps:
  - id: extract
    type: llm
    model: openai/gpt-3.5-turbo
    api_base: {base}
    prompt: Give me JSON
    output_schema: {{type: object, properties: {{summary: {{type: string}}}}, required: [summary]}}
"""


@pytest.fixture
async def results(store, model_server):
    base = model_server.url + "/v1"
    done = [await run(store, DIGEST.format(base=base)), await run(store, DIGEST.format(base=base)),
            await run(store, COMPARE.format(base=base)), await run(store, STRICT.format(base=base))]
    assert [r.status for r in done] == ["succeeded", "succeeded", "succeeded", "failed"], [r.error for r in done]
    return done


def spent(selected) -> tuple[int, int, float]:
    return (sum(r.usage.input_tokens for r in selected), sum(r.usage.output_tokens for r in selected),
            sum(r.usage.cost_usd for r in selected))


def figures(row) -> tuple[int, int, float]:
    return row.input_tokens, row.output_tokens, pytest.approx(row.cost_usd, rel=1e-9)


def llm_calls(results) -> dict[str, list[tuple[str, int, int, float]]]:
    """model -> (run id, tokens in, tokens out, cost) of every llm step, from the runs' own records."""
    calls = defaultdict(list)
    for result in results:
        for step in result.steps:
            if step.type == "llm":
                model = step.output["model"] if step.output else "openai/gpt-3.5-turbo"
                calls[model].append((result.run_id, step.usage["input_tokens"], step.usage["output_tokens"],
                                     step.cost_usd))
    return calls


async def test_per_workflow_totals_equal_the_runs_own_usage(store, results):
    report = usage(store.engine, "workflow")

    rows = {row.key: row for row in report.rows}
    assert set(rows) == {"digest", "compare", "strict"}
    for name in rows:
        mine = [r for r in results if r.workflow == name]
        in_tokens, out_tokens, cost = spent(mine)
        assert figures(rows[name]) == (in_tokens, out_tokens, pytest.approx(cost, rel=1e-9))
        assert rows[name].runs == len(mine)
    assert rows["digest"].input_tokens == 2 * 100 and rows["digest"].calls == 2
    assert rows["compare"].calls == 2 and rows["strict"].calls == 1
    assert all(row.cost_usd > 0 for row in report.rows)
    assert report.rows[0].key == "compare"  # the most expensive first
    assert figures(report.total) == (*spent(results)[:2], pytest.approx(spent(results)[2], rel=1e-9))
    assert report.total.runs == 4 and report.total.calls == 5


async def test_per_model_and_provider_including_a_failed_step_that_spent_tokens(store, results):
    by_model = {row.key: row for row in usage(store.engine, "model").rows}
    calls = llm_calls(results)

    assert set(by_model) == {"openai/gpt-4o-mini", "openai/gpt-4o", "deepseek/deepseek-chat", "openai/gpt-3.5-turbo"}
    for model, found in calls.items():
        row = by_model[model]
        assert (row.calls, row.input_tokens, row.output_tokens) == (
            len(found), sum(f[1] for f in found), sum(f[2] for f in found))
        assert row.cost_usd == pytest.approx(sum(f[3] for f in found), rel=1e-9)
        assert row.runs == len({f[0] for f in found})
    # the failed structured step asked twice (answer + repair) and its record kept no output
    assert by_model["openai/gpt-3.5-turbo"].input_tokens == 2 * 70

    by_provider = {row.key: row for row in usage(store.engine, "provider").rows}
    assert set(by_provider) == {"openai", "deepseek"}
    assert by_provider["openai"].runs == 4  # compare used two providers and counts once for each
    assert by_provider["deepseek"].runs == 1 and by_provider["deepseek"].input_tokens == 300
    total_cost = sum(row.cost_usd for row in by_provider.values())
    assert total_cost == pytest.approx(sum(r.usage.cost_usd for r in results), rel=1e-9)


async def test_per_day_and_time_window(store, results):
    with store.engine.begin() as conn:  # the first digest ran two days earlier
        conn.execute(update(runs).where(runs.c.run_id == results[0].run_id)
                     .values(started_at="2025-03-01T23:59:59.500000+00:00"))
    days = usage(store.engine, "day").rows

    assert days[0].key == "2025-03-01" and days[0].runs == 1
    assert figures(days[0]) == (*spent(results[:1])[:2], pytest.approx(spent(results[:1])[2], rel=1e-9))
    assert days[1].runs == 3 and figures(days[1]) == (
        *spent(results[1:])[:2], pytest.approx(spent(results[1:])[2], rel=1e-9))

    only_that_day = usage(store.engine, "workflow", window=Window.parse("2025-03-01", "2025-03-01"))
    assert [(row.key, row.runs) for row in only_that_day.rows] == [("digest", 1)]
    assert usage(store.engine, "workflow", window=Window.parse(since="2025-03-02")).total.runs == 3


async def test_per_run_newest_first_with_a_workflow_filter(store, results):
    report = usage(store.engine, "run", workflow="digest", limit=1)

    assert len(report.rows) == 1 and report.total.runs == 2  # the page is limited, the total is not
    row = report.rows[0].to_dict()
    assert row["key"] == results[1].run_id and row["workflow"] == "digest" and row["status"] == "succeeded"
    assert (row["input_tokens"], row["output_tokens"], row["calls"]) == (100, 20, 1)
    assert report.to_dict()["workflow"] == "digest"


def test_an_empty_store_reports_zeros(store):
    report = usage(store.engine, "model").to_dict()

    assert report["rows"] == [] and report["total"]["runs"] == 0 and report["total"]["cost_usd"] == 0


def test_unknown_grouping_is_refused(store):
    with pytest.raises(ValueError, match="group_by must be one of workflow, model, provider, day, run"):
        usage(store.engine, "week")


@pytest.mark.parametrize(("model", "provider"), [
    ("openai/gpt-4o-mini", "openai"), ("ollama/llama3.2", "ollama"), ("openrouter/anthropic/claude-3", "openrouter"),
    ("gpt-4o-mini", "openai"), ("deepseek-chat", "deepseek"), ("claude-unlisted-model", "anthropic"),
    ("my-own-model", "(unknown)"),
])
def test_provider_of_a_model_string(model, provider):
    assert provider_of(model) == provider
