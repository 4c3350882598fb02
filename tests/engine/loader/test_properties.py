"""Property tests: whatever a person or a model writes, `loads` answers with a Workflow or a
ValidationError whose problems each say what is wrong and where, never with a crash.

Valid workflows are mutated the ways drafts go wrong (keys dropped, renamed or added,
values of the wrong type, broken `${{ }}`, duplicated ids, reordered lists) and raw text
is thrown at the parser.
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.loader.paths import format_path
from engine.loader.source import SourceError, parse
from tests.conftest import ROOT

# Derandomized so a failure in CI reproduces; fresh seeds were explored while writing these.
# Budget: about 4,500 cases, well under a minute on two cores.
SETTINGS = settings(max_examples=600, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# The complete example of the language contract (DSL.md), verbatim.
DSL_EXAMPLE = r"""
# yaml-language-server: $schema=../schemas/workflow.schema.json
loom: 1                                  # language version, required
name: url-digest                         # ^[a-z][a-z0-9-]{0,62}$, unique per workspace
description: Summarize a web page and reply on the channel that asked.
inputs:
  url: {type: string, description: Page to summarize}
  style: {type: string, enum: [short, long], default: short}
triggers:
  - {type: telegram, command: digest, args: [url]}          # "/digest https://..." in the bot
  - {type: whatsapp, pattern: '^digest\s+(?P<url>\S+)'}     # named groups become inputs
  - {type: webhook}                                        # POST /api/v1/workflows/url-digest/runs
  - {type: cron, schedule: "0 7 * * 1-5", timezone: Europe/Berlin, inputs: {url: "https://example.org"}}
defaults:                                # inherited by every step unless it overrides
  model: openai/gpt-4o-mini              # any LiteLLM model string, e.g. ollama/llama3.2
  timeout: 60s
  retry: {max_attempts: 3, backoff: exponential, delay: 1s, max_delay: 30s}
limits: {timeout: 10m, max_steps: 500, max_cost_usd: 0.50}
steps:
  - id: fetch
    type: http
    method: GET
    url: ${{ inputs.url }}
    retry: {max_attempts: 5, on: [timeout, http_5xx]}
  - id: check
    type: if
    condition: ${{ steps.fetch.output.status == 200 }}
    then:
      - id: summarize
        type: llm
        model: anthropic/claude-3-5-haiku-latest
        system: You summarize web pages faithfully.
        prompt: |
          Summarize this page in a ${{ inputs.style }} paragraph:
          ${{ steps.fetch.output.text }}
        output_schema:
          type: object
          properties: {summary: {type: string}}
          required: [summary]
    else:
      - id: give_up
        type: fail
        message: "Could not fetch ${{ inputs.url }} (HTTP ${{ steps.fetch.output.status }})"
  - id: answer
    type: reply
    text: ${{ steps.summarize.output.data.summary }}
outputs:
  summary: ${{ steps.summarize.output.data.summary }}
on_error:                                # runs when the workflow fails; `error` is in scope
  - id: apologize
    type: reply
    text: "Sorry, that failed: ${{ error.message }}"
tests:                                   # run by `loom test`; no network, no tokens spent
  - name: summarizes a page
    inputs: {url: "https://example.org"}
    mocks:
      fetch: {status: 200, text: "Example Domain. This domain is for examples."}
      summarize: {text: "", data: {summary: "A placeholder page."}}
    expect:
      status: succeeded
      outputs: {summary: "A placeholder page."}
"""


INLINE = [
    """
    loom: 1
    name: fan-out
    inputs:
      topics: {type: array, default: [a, b]}
      limit: {type: integer, default: 3}
    triggers:
      - {type: webhook, auth: none}
      - {type: cron, schedule: "*/15 * * * *", timezone: UTC}
    defaults: {model: openai/gpt-4o-mini, timeout: 30s, temperature: 0.2}
    limits: {timeout: 5m, max_steps: 100, max_tokens: 5000}
    steps:
      - id: each
        type: for_each
        items: ${{ inputs.topics }}
        as: topic
        concurrency: 2
        steps:
          - id: ask
            type: llm
            prompt: "Tell me about ${{ topic }} (item ${{ index }})"
            memory: {scope: workflow, window: 5}
        output: ${{ steps.ask.output.text }}
      - id: both
        type: parallel
        branches:
          left:
            - {id: l, type: set, values: {n: "${{ size(steps.each.output) }}"}}
          right:
            - {id: r, type: wait, duration: 1s}
      - id: pick
        type: switch
        cases:
          - when: ${{ steps.both.output.left.n > inputs.limit }}
            steps:
              - {id: many, type: reply, text: "many"}
        default:
          - {id: few, type: reply, text: "few: ${{ steps.l.output.n }}"}
    outputs:
      count: ${{ steps.l.output.n }}
    tests:
      - name: counts
        mocks:
          ask: {text: "x"}
        expect: {status: succeeded, steps: {many: {status: skipped}}}
    """,
    """
    loom: 1
    name: poller
    inputs:
      url: {type: string, description: where}
      token: {type: string, default: ""}
    triggers:
      - {type: telegram, command: poll, args: [url, token], description: Poll a URL}
      - {type: whatsapp, command: poll}
    steps:
      - id: again
        type: loop
        max_iterations: 5
        until: ${{ steps.get.output.status == 200 }}
        steps:
          - id: get
            type: http
            method: POST
            url: ${{ inputs.url }}
            headers: {Authorization: "Bearer ${{ secrets.API_TOKEN }}"}
            json: {q: "${{ inputs.token }}", page: 1}
            expect_status: [200, 202]
            retry: {max_attempts: 3, backoff: constant, delay: 500ms, on: [timeout, http_5xx]}
            on_error: continue
      - id: ok
        type: approval
        message: "Send ${{ steps.get.output.status }}?"
        timeout: 1h
      - id: mail
        type: email
        to: [ops@example.org]
        subject: "Polled ${{ inputs.url }}"
        body: "Status ${{ steps.get.output.status }}"
        when: ${{ steps.ok.output.approved }}
        on_error:
          - {id: note, type: send, channel: telegram, to: "${{ trigger.chat_id }}", text: "${{ error.message }}"}
      - id: calc
        type: code
        source: "import json\\nprint(json.dumps(inputs['n'] * 2))"
        inputs: {n: "${{ steps.get.output.elapsed_ms }}"}
      - id: save
        type: file
        op: write
        path: "polls/${{ run.id }}.txt"
        content: "${{ steps.calc.output }}"
      - id: rows
        type: sql
        connection: CRM_DB
        query: "SELECT 1 WHERE :x > 0"
        params: {x: "${{ steps.calc.output }}"}
      - id: child
        type: workflow
        workflow: fan-out
        inputs: {limit: 2}
    on_error:
      - {id: sorry, type: reply, text: "failed in ${{ error.step }}"}
    tests:
      - name: polls
        inputs: {url: "https://example.org"}
        trigger: {channel: telegram, chat_id: "1"}
        mocks:
          get: {status: 200, elapsed_ms: 3}
          mail: {message_id: m}
          note: {}
          calc: 6
          rows: {error: boom}
        expect: {status: failed, error: boom}
    """,
    """
    loom: 1
    name: tiny
    steps:
      - id: check
        type: if
        condition: ${{ trigger.channel == 'telegram' }}
        then:
          - {id: hi, type: reply, text: "hi ${{ trigger.user }}"}
        else:
          - {id: stop, type: fail, message: "not on telegram", when: "${{ true }}"}
          - {id: bye, type: reply, text: bye}
    """,
]


def _bases() -> list[tuple[str, Any]]:
    texts = [("DSL.md", DSL_EXAMPLE)] + [(f"inline{i}", textwrap.dedent(t)) for i, t in enumerate(INLINE)]
    texts += [(p.name, p.read_text()) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    bases = []
    for name, text in texts:
        try:
            engine.loads(text)
        except engine.ValidationError:
            continue  # examples/ is written alongside these tests; a broken one is another test's business
        bases.append((name, parse(text).data))
    return bases


BASES = _bases()

# ---- mutations ---------------------------------------------------------------------------------

BROKEN_EXPRESSIONS = [
    "${{", "${{ }}", "${{ ...broken }}", "${{ steps. }}", "${{ 1 + }}", "${{ foo.bar }}", "${{ steps.nope.output }}",
    "x ${{ inputs.nope }} y", "${{ '}}' }}", "${{ secrets.KEY }}", "${{ env.HOME }}", "${{ error.message }}",
    "${{ item }}", "${{ index }}", "${{ steps.each.output[0] }}", "${{ {'a': 1} }}", "${{ trigger.nope }}",
    "}} ${{", "${{ ${{ 1 }} }}", "${{ [1, 2].map(x, x * 2) }}", "${{ 'unterminated }}", "$${{ 1 }}",
    "${{ inputs['url'] }}", "${{ steps['fetch'].output }}", "${{ run.started_at }}", "${{ 1 }} ${{ 2 }}",
]
FIELD_NAMES = ["id", "type", "url", "urll", "steps", "then", "else", "on", "on_error", "retry", "when", "as",
               "json", "body", "items", "branches", "cases", "default", "model", "prompt", "inputs", "loom",
               "name", "text", "max_iterations", "schedule", "command", "pattern", "mocks", "expect", "$ref",
               "", " ", "0", "yes", "null", "<<"]
STEP_TYPES = ["http", "llm", "if", "switch", "for_each", "parallel", "loop", "workflow", "approval", "wait",
              "fail", "set", "reply", "send", "code", "file", "email", "sql", "htpp", "", "Step"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(BROKEN_EXPRESSIONS), st.sampled_from(FIELD_NAMES), st.sampled_from(STEP_TYPES),
    st.sampled_from(["30s", "5 minutes", "-1s", "0", "1h30m", "0 7 * * *", "61 * * * *", "Europe/Berlin",
                     "Nowhere/Else", "(?P<url>", "(?P<x>.*)", "/cmd", "help", "a" * 70]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=3),
    max_leaves=6,
)


def _nodes(data: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _nodes(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _nodes(value, (*path, index))
    return found


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _steps(data: Any) -> list[dict]:
    return [n for p in _nodes(data) if isinstance(n := _get(data, p), dict) and "id" in n and "type" in n]


def _mutate(draw, data: Any) -> Any:
    kind = draw(st.sampled_from(["drop", "retype", "rename", "junk", "expression", "dup_id", "dup_item",
                                 "shuffle", "step_type"]))
    paths = _nodes(data)
    if kind == "drop":
        targets = [p for p in paths if p and isinstance(_get(data, p[:-1]), dict | list)]
        if targets:
            path = draw(st.sampled_from(targets))
            del _get(data, path[:-1])[path[-1]]
    elif kind == "retype":
        data = _set(data, draw(st.sampled_from(paths)), draw(values))
    elif kind == "rename":
        targets = [p for p in paths if p and isinstance(p[-1], str)]
        if targets:
            path = draw(st.sampled_from(targets))
            parent = _get(data, path[:-1])
            new = draw(st.sampled_from(FIELD_NAMES) | st.text(min_size=1, max_size=10) |
                       st.just(path[-1][:-1] + path[-1][-1:] * 2))
            parent[new] = parent.pop(path[-1])
    elif kind == "junk":
        targets = [p for p in paths if isinstance(_get(data, p), dict)]
        if targets:
            _get(data, draw(st.sampled_from(targets)))[draw(st.sampled_from(FIELD_NAMES))] = draw(values)
    elif kind == "expression":
        targets = [p for p in paths if isinstance(_get(data, p), str)] or paths
        data = _set(data, draw(st.sampled_from(targets)), draw(st.sampled_from(BROKEN_EXPRESSIONS)))
    elif kind == "dup_id":
        steps = _steps(data)
        if len(steps) >= 2:
            first, second = draw(st.permutations(steps))[:2]
            second["id"] = first["id"]
    elif kind == "dup_item":
        targets = [p for p in paths if isinstance(_get(data, p), list) and _get(data, p)]
        if targets:
            items = _get(data, draw(st.sampled_from(targets)))
            items.insert(draw(st.integers(0, len(items))), copy.deepcopy(draw(st.sampled_from(items))))
    elif kind == "shuffle":
        targets = [p for p in paths if isinstance(_get(data, p), list) and len(_get(data, p)) > 1]
        if targets:
            items = _get(data, draw(st.sampled_from(targets)))
            items[:] = draw(st.permutations(items))
    elif kind == "step_type":
        steps = _steps(data)
        if steps:
            draw(st.sampled_from(steps))["type"] = draw(st.sampled_from(STEP_TYPES))
    return data


@st.composite
def mutated_workflows(draw) -> Any:
    _, base = draw(st.sampled_from(BASES))
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        data = _mutate(draw, data)
    return data


# ---- the properties ------------------------------------------------------------------------------


def _check_problems(problems: list[engine.Problem], data: Any) -> None:
    assert problems, "a ValidationError names at least one problem"
    existing = {format_path(p) for p in _nodes(data)}
    for problem in problems:
        assert isinstance(problem.message, str) and problem.message.strip(), problem
        assert isinstance(problem.path, str), problem
        if problem.path == "":
            assert not isinstance(data, dict), f"only document-level problems have no path: {problem}"
        if problem.path in existing:
            assert isinstance(problem.line, int) and problem.line >= 1, problem
            assert isinstance(problem.column, int) and problem.column >= 1, problem
        assert problem.hint is None or problem.hint.strip(), problem
        problem.format()


def _loads(text: str) -> list[engine.Problem] | None:
    try:
        engine.loads(text)
    except engine.ValidationError as exc:
        return exc.problems
    return None


def test_there_are_valid_bases():
    assert len(BASES) >= 4


@settings(SETTINGS, max_examples=1500)
@given(mutated_workflows())
def test_mutated_workflows_load_or_explain_themselves(data: Any):
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    problems = _loads(text)
    if problems is not None:
        _check_problems(problems, data)


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_mutations_that_keep_the_shape_report_lines(base: tuple[str, Any], data: st.DataObject):
    """Renaming one key or retyping one value is a mistake at a place that exists: it has a line."""
    doc = copy.deepcopy(base[1])
    paths = [p for p in _nodes(doc) if p and isinstance(p[-1], str)]
    path = data.draw(st.sampled_from(paths))
    doc = _set(doc, path, data.draw(values))
    problems = _loads(yaml.safe_dump(doc, sort_keys=False))
    if problems is not None:
        _check_problems(problems, doc)
        for problem in problems:
            assert isinstance(problem.line, int), problem


def _typo_targets() -> list[tuple[str, tuple]]:
    """Every key of every base, except the declarations of inputs: renaming one of those is
    reported, rightly, at every place that reads the input."""
    return [(name, path) for name, data in BASES for path in _nodes(data)
            if path and isinstance(path[-1], str) and path[-1] and not (len(path) == 2 and path[0] == "inputs")]


TYPO_TARGETS = _typo_targets()


@settings(SETTINGS, max_examples=800)
@given(st.sampled_from(TYPO_TARGETS))
def test_one_misspelt_key_is_one_problem_at_that_key(target: tuple[str, tuple]):
    name, path = target
    doc = copy.deepcopy(dict(BASES)[name])
    parent = _get(doc, path[:-1])
    typo = path[-1] + path[-1][-1]
    renamed = {typo if key == path[-1] else key: value for key, value in parent.items()}
    parent.clear()
    parent.update(renamed)
    problems = _loads(yaml.safe_dump(doc, sort_keys=False))
    if problems is None:
        return  # a free-form key (a header, a mock, a branch name): still valid
    summary = [p.format() for p in problems]
    assert len(problems) == 1, summary
    assert problems[0].path in (format_path((*path[:-1], typo)), format_path(path[:-1])), summary
    assert isinstance(problems[0].line, int), summary


@st.composite
def edited_texts(draw) -> str:
    """Valid documents edited as text: lines dropped, doubled, swapped, re-indented, or a
    character typed in, the mistakes a person makes in an editor."""
    lines = yaml.safe_dump(draw(st.sampled_from(BASES))[1], sort_keys=False).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "double", "swap", "indent", "dedent", "insert"]))
        if kind == "drop" and len(lines) > 1:
            del lines[index]
        elif kind == "double":
            lines.insert(index, lines[index])
        elif kind == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif kind == "indent":
            lines[index] = "  " + lines[index]
        elif kind == "dedent":
            lines[index] = lines[index][2:] if lines[index].startswith("  ") else lines[index]
        elif kind == "insert":
            line = lines[index]
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(st.sampled_from([*":-#&*!|>'\"{}[],%@` \t", "${{", "}}"])) + line[at:]
    return "\n".join(lines) + "\n"


@settings(SETTINGS, max_examples=800)
@given(edited_texts())
def test_text_edits_of_valid_workflows(text: str):
    problems = _loads(text)
    if problems is not None:
        try:
            data = parse(text).data
        except SourceError:  # the edit broke the YAML itself: the problems are document-level
            data = None
        for problem in problems:
            assert problem.message.strip(), problem
            assert isinstance(problem.line, int) and problem.line >= 1, problem
            assert isinstance(problem.column, int) and problem.column >= 1, problem
            assert problem.line <= text.count("\n") + 1, problem
        if isinstance(data, dict):
            _check_problems(problems, data)


yaml_alphabet = st.sampled_from(
    [*":-?[]{},&*!|>'\"%@`#\n\t ${}.", "${{", "}}", "loom: 1\n", "steps:\n", "  - ", "id: a\n", "type: ", "<<: "]
)


@settings(SETTINGS, max_examples=800)
@given(st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.lists(yaml_alphabet | st.text(max_size=5), max_size=40).map("".join),
))
def test_raw_text_never_crashes(text: str):
    """Random strings and bytes: a ValidationError with positions, or (rarely) a workflow."""
    problems = _loads(text)
    if problems is not None:
        assert problems
        for problem in problems:
            assert problem.message.strip()
            assert isinstance(problem.line, int) and isinstance(problem.column, int), problem
