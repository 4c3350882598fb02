"""Deliberately broken workflows: each names its one mistake exactly (path, line, message, hint).

Every document below holds a single real mistake, so each must yield exactly one
Problem: a typo'd `urll` is an unknown field, not also a missing `url`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

import engine


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    path: str
    line: int
    phrase: str
    hint: str | None = None
    column: int | None = None


def case(id: str, text: str, path: str, line: int, phrase: str, hint: str | None = None,
         column: int | None = None):
    return pytest.param(Case(id, textwrap.dedent(text).lstrip("\n"), path, line, phrase, hint, column), id=id)


CASES = [
    # ---- schema: fields, types, values --------------------------------------------------
    case("unknown-field-did-you-mean", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
          - id: b
            type: http
            urll: https://example.org
        """, "steps[1].urll", 9, "unknown field 'urll'", "did you mean 'url'?", column=5),
    case("unknown-top-level-field", """
        loom: 1
        name: t
        step:
          - id: a
            type: reply
            text: hi
        """, "step", 3, "unknown field 'step'", "did you mean 'steps'?", column=1),
    case("typo-inside-step-on-error-list", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            on_error:
              - id: b
                type: reply
                txt: sorry
        """, "steps[0].on_error[0].txt", 10, "unknown field 'txt'", "did you mean 'text'?"),
    case("typo-in-workflow-step-whose-type-names-a-field", """
        loom: 1
        name: t
        steps:
          - id: child
            type: workflow
            workflow: other-flow
            inputss: {x: 1}
        """, "steps[0].inputss", 7, "unknown field 'inputss'", "did you mean 'inputs'?"),
    case("email-to-list-with-a-number", """
        loom: 1
        name: t
        steps:
          - id: mail
            type: email
            to: [ops@example.org, 42]
            subject: hi
            body: hi
        """, "steps[0].to[1]", 6, "expected a string, got 42"),
    case("unknown-step-type", """
        loom: 1
        name: t
        steps:
          - id: a
            type: htpp
            url: https://example.org
        """, "steps[0].type", 5, "unknown step type 'htpp'", "did you mean 'http'?", column=11),
    case("step-without-type", """
        loom: 1
        name: t
        steps:
          - id: a
            text: hi
        """, "steps[0]", 4, "has no 'type'", "reply"),
    case("unknown-trigger-type", """
        loom: 1
        name: t
        triggers:
          - type: telegramm
            command: go
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].type", 4, "unknown trigger type 'telegramm'", "did you mean 'telegram'?"),
    case("missing-required-field", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
        """, "steps[0].text", 4, "missing required field 'text'"),
    case("missing-steps", """
        loom: 1
        name: t
        description: nothing to do
        """, "steps", 1, "missing required field 'steps'"),
    case("empty-steps", """
        loom: 1
        name: t
        steps: []
        """, "steps", 3, "at least 1 item"),
    case("bad-workflow-name", """
        loom: 1
        name: URL_Digest
        steps:
          - id: a
            type: reply
            text: hi
        """, "name", 2, "invalid value 'URL_Digest'", "lowercase letters, digits and dashes", column=7),
    case("bad-step-id", """
        loom: 1
        name: t
        steps:
          - id: Fetch-Page
            type: reply
            text: hi
        """, "steps[0].id", 4, "invalid value 'Fetch-Page'", "lowercase letters, digits and underscores"),
    case("bad-duration", """
        loom: 1
        name: t
        steps:
          - id: pause
            type: wait
            duration: 5 minutes
        """, "steps[0].duration", 6, "'5 minutes' is not a duration", column=15),
    case("duration-without-unit", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            timeout: 30
        """, "steps[0].timeout", 7, "has no unit; write e.g. '30s'"),
    case("bad-enum-retry-backoff", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            retry: {max_attempts: 3, backoff: exponentail}
        """, "steps[0].retry.backoff", 7, "'exponentail' is not allowed", "did you mean 'exponential'?"),
    case("bad-retry-on-value", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            retry: {max_attempts: 3, on: [timout]}
        """, "steps[0].retry.on[0]", 7, "'timout' is not allowed", "did you mean 'timeout'?"),
    case("on-error-contine", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            on_error: contine
        """, "steps[0].on_error", 7, "'contine' is not allowed", "did you mean 'continue'?", column=15),
    case("bad-input-type", """
        loom: 1
        name: t
        inputs:
          url: {type: strng}
        steps:
          - id: a
            type: reply
            text: hi
        """, "inputs.url.type", 4, "'strng' is not allowed", "did you mean 'string'?"),
    case("loop-without-max-iterations", """
        loom: 1
        name: t
        steps:
          - id: again
            type: loop
            until: ${{ index > 2 }}
            steps:
              - id: tick
                type: set
                values: {n: 1}
        """, "steps[0].max_iterations", 4, "missing required field 'max_iterations'"),
    case("llm-without-model", """
        loom: 1
        name: t
        steps:
          - id: ask
            type: llm
            prompt: Say hi
        """, "steps[0].model", 4, "the llm step has no model", "defaults.model"),
    case("http-json-and-body", """
        loom: 1
        name: t
        steps:
          - id: post
            type: http
            method: POST
            url: https://example.org
            json: {a: 1}
            body: raw
        """, "steps[0]", 4, "takes `json` or `body`, not both"),
    case("bad-output-schema", """
        loom: 1
        name: t
        defaults: {model: openai/gpt-4o-mini}
        steps:
          - id: ask
            type: llm
            prompt: Say hi
            output_schema:
              type: objekt
        """, "steps[0].output_schema", 9, "not a valid JSON Schema"),
    case("code-syntax-error", """
        loom: 1
        name: t
        steps:
          - id: calc
            type: code
            source: "print(1 +)"
        """, "steps[0].source", 6, "Python syntax error"),
    # ---- document level ------------------------------------------------------------------
    case("loom-2", """
        loom: 2
        name: t
        steps:
          - id: a
            type: reply
            text: hi
        """, "loom", 1, "language version 2 is not supported", "loom: 1", column=7),
    case("not-a-mapping", """
        - loom: 1
        - name: t
        """, "", 1, "a workflow is a mapping"),
    case("plain-string", "just some words\n", "", 1, "a workflow is a mapping"),
    case("empty-document", "\n", "", 1, "the document is empty"),
    case("only-comments", "# nothing here\n", "", 1, "the document is empty"),
    case("yaml-syntax-error", """
        loom: 1
        name: t
        steps: [
        """, "", 4, "YAML syntax error"),
    case("duplicate-yaml-key", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            text: again
        """, "steps[0].text", 7, "duplicate key 'text' (first defined on line 6)", "remove one of them", column=5),
    # ---- triggers ------------------------------------------------------------------------
    case("bad-cron-field-count", """
        loom: 1
        name: t
        triggers:
          - type: cron
            schedule: "0 7 * *"
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].schedule", 5, "not a 5-field cron expression"),
    case("bad-cron-value", """
        loom: 1
        name: t
        triggers:
          - type: cron
            schedule: "61 7 * * *"
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].schedule", 5, "'61 7 * * *' is not a valid cron expression"),
    case("bad-timezone", """
        loom: 1
        name: t
        triggers:
          - type: cron
            schedule: "0 7 * * *"
            timezone: Mars/Olympus
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].timezone", 6, "unknown time zone 'Mars/Olympus'"),
    case("timezone-that-is-a-folder-of-zones", """
        loom: 1
        name: t
        triggers:
          - type: cron
            schedule: "0 7 * * *"
            timezone: Europe
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].timezone", 6, "unknown time zone 'Europe'"),
    case("regex-repetition-too-large", """
        loom: 1
        name: t
        triggers:
          - {type: whatsapp, pattern: 'go a{99999999999}'}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].pattern", 4, "invalid regular expression"),
    case("bad-regex", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - type: whatsapp
            pattern: '^digest (?P<url>\\S+'
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].pattern", 7, "invalid regular expression"),
    case("telegram-command-duplicated", """
        loom: 1
        name: t
        triggers:
          - {type: telegram, command: go}
          - {type: telegram, command: go}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[1].command", 5, "command /go is already used by triggers[0]"),
    case("telegram-command-reserved", """
        loom: 1
        name: t
        triggers:
          - {type: telegram, command: help}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].command", 4, "/help is a built-in bot command", "choose another"),
    case("telegram-command-with-slash", """
        loom: 1
        name: t
        triggers:
          - {type: telegram, command: /go}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].command", 4, "without its slash: 'go'"),
    case("telegram-args-unknown-input", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - {type: telegram, command: go, args: [urll]}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].args[0]", 6, "unknown input 'urll'", "did you mean 'url'?"),
    case("telegram-args-miss-required-input", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
          style: {type: string}
        triggers:
          - {type: telegram, command: go, args: [url]}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0]", 7, "required input 'style' is not provided by /go", "add it to `args`"),
    case("cron-misses-required-input", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - {type: cron, schedule: "0 7 * * *"}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0]", 6, "required input 'url' is not provided by the schedule"),
    case("cron-inputs-typo", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - {type: cron, schedule: "0 7 * * *", inputs: {urll: "https://example.org"}}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].inputs.urll", 6, "unknown input 'urll'", "did you mean 'url'?"),
    case("whatsapp-pattern-misses-required-input", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
          style: {type: string}
        triggers:
          - {type: whatsapp, pattern: '^digest (?P<url>\\S+)'}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0]", 7, "required input 'style' is not provided by the pattern", "named group"),
    case("whatsapp-group-typo", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - {type: whatsapp, pattern: '^digest (?P<urll>\\S+)'}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0].pattern", 6, "named group 'urll' is not an input", "did you mean 'url'?"),
    case("whatsapp-pattern-and-command", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        triggers:
          - {type: whatsapp, pattern: '^digest (?P<url>\\S+)', command: digest}
        steps:
          - id: a
            type: reply
            text: hi
        """, "triggers[0]", 6, "exactly one of `pattern` or `command`"),
    # ---- ids, order and reachability -----------------------------------------------------
    case("duplicate-step-id", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
          - id: a
            type: reply
            text: again
        """, "steps[1].id", 7, "duplicate step id 'a'", "first used at steps[0]"),
    case("duplicate-step-id-nested", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
          - id: check
            type: if
            condition: ${{ true }}
            then:
              - id: a
                type: reply
                text: again
        """, "steps[1].then[0].id", 11, "duplicate step id 'a'", "first used at steps[0]", column=13),
    case("duplicate-step-id-across-branches", """
        loom: 1
        name: t
        steps:
          - id: both
            type: parallel
            branches:
              left:
                - id: x
                  type: set
                  values: {n: 1}
              right:
                - id: x
                  type: set
                  values: {n: 2}
        """, "steps[0].branches.right[0].id", 12, "duplicate step id 'x'", "steps[0].branches.left[0]"),
    case("step-after-unconditional-fail", """
        loom: 1
        name: t
        steps:
          - id: stop
            type: fail
            message: no
          - id: never
            type: reply
            text: hi
        """, "steps[1]", 7, "step 'never' can never run", "the fail step 'stop'"),
    # ---- expressions ---------------------------------------------------------------------
    case("cel-syntax-error", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ 1 + }}
        """, "steps[0].text", 6, "expression does not compile", "CEL syntax", column=18),
    case("cel-syntax-error-in-condition", """
        loom: 1
        name: t
        inputs:
          x: {type: integer}
        steps:
          - id: check
            type: if
            condition: ${{ inputs.x == }}
            then:
              - id: b
                type: reply
                text: hi
        """, "steps[0].condition", 8, "expression does not compile", column=31),
    case("cel-syntax-error-in-block-scalar", """
        loom: 1
        name: t
        defaults: {model: openai/gpt-4o-mini}
        steps:
          - id: ask
            type: llm
            prompt: |
              Run ${{ run.id }} says:
              Then ${{ 1 +* 2 }} here
        """, "steps[0].prompt", 9, "expression does not compile", column=19),
    case("cel-nesting-too-deep",
         "loom: 1\nname: t\nsteps:\n  - id: a\n    type: reply\n    text: ${{ " + "(" * 100 + "1" + ")" * 100 + " }}\n",
         "steps[0].text", 6, "Syntax error: Recursion limit"),
    case("template-not-closed", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: "Hello ${{ trigger.user"
        """, "steps[0].text", 6, "'${{' is never closed", column=18),
    case("template-in-field-without-expressions", """
        loom: 1
        name: t
        steps:
          - id: calc
            type: code
            source: "print('${{ run.id }}')"
        """, "steps[0].source", 6, "expressions are not evaluated in `source`", column=21),
    case("template-around-single-expression-field", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            when: "yes ${{ true }}"
        """, "steps[0].when", 7, "takes one expression", "one ${{ ... }}"),
    case("unknown-input-reference", """
        loom: 1
        name: t
        inputs:
          name: {type: string}
        steps:
          - id: a
            type: reply
            text: "Hello ${{ inputs.nme }}"
        """, "steps[0].text", 8, "unknown input 'nme'", "did you mean 'name'?", column=18),
    case("unknown-step-reference", """
        loom: 1
        name: t
        steps:
          - id: fetch
            type: http
            url: https://example.org
          - id: a
            type: reply
            text: ${{ steps.fecth.output.text }}
        """, "steps[1].text", 9, "unknown step 'fecth'", "did you mean 'fetch'?", column=11),
    case("reference-to-later-step", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ steps.b.output }}
          - id: b
            type: set
            values: {n: 1}
        """, "steps[0].text", 6, "step 'b' runs after this one", "ran before it"),
    case("reference-to-later-step-in-for-each-body", """
        loom: 1
        name: t
        steps:
          - id: each
            type: for_each
            items: ${{ [1, 2] }}
            steps:
              - id: first
                type: reply
                text: ${{ steps.second.output.v }}
              - id: second
                type: set
                values: {v: "${{ item }}"}
        """, "steps[0].steps[0].text", 10, "step 'second' runs after this one"),
    case("for-each-body-step-read-in-outputs", """
        loom: 1
        name: t
        steps:
          - id: each
            type: for_each
            items: ${{ [1, 2] }}
            steps:
              - id: double
                type: set
                values: {v: "${{ item * 2 }}"}
        outputs:
          doubled: ${{ steps.double.output.v }}
        """, "outputs.doubled", 12, "runs once per item of for_each 'each'", "steps.each.output"),
    case("reference-to-own-result", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ steps.a.output }}
        """, "steps[0].text", 6, "reads its own result"),
    case("reference-to-sibling-branch", """
        loom: 1
        name: t
        steps:
          - id: both
            type: parallel
            branches:
              left:
                - id: l1
                  type: set
                  values: {x: 1}
              right:
                - id: r1
                  type: set
                  values:
                    y: ${{ steps.l1.output.x }}
        """, "steps[0].branches.right[0].values.y", 15, "in another branch of parallel step 'both'",
         "read it after the parallel step"),
    case("loop-variable-outside-for-each", """
        loom: 1
        name: t
        steps:
          - id: each
            type: for_each
            items: ${{ [1, 2] }}
            steps:
              - id: inner
                type: set
                values: {v: "${{ item }}"}
          - id: after
            type: reply
            text: ${{ item }}
        """, "steps[1].text", 13, "`item` is only defined inside its for_each or loop"),
    case("index-outside-loop", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ index }}
        """, "steps[0].text", 6, "`index` is only defined inside"),
    case("error-outside-on-error", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ error.message }}
        """, "steps[0].text", 6, "`error` is only defined in on_error steps"),
    case("unknown-name", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ input.x }}
        """, "steps[0].text", 6, "unknown name 'input'", "did you mean 'inputs'?"),
    case("unknown-trigger-field", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: ${{ trigger.chatid }}
        """, "steps[0].text", 6, "`trigger` has no field 'chatid'", "did you mean 'chat_id'?"),
    case("secrets-in-llm-prompt", """
        loom: 1
        name: t
        defaults: {model: openai/gpt-4o-mini}
        steps:
          - id: ask
            type: llm
            prompt: "The key is ${{ secrets.API_KEY }}"
        """, "steps[0].prompt", 7, "secrets may not be used in an llm step's `prompt`", "api_key",
         column=25),
    case("secrets-in-reply", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: "${{ secrets.TOKEN }}"
        """, "steps[0].text", 6, "secrets may not be used in a `reply` step", "http, email, sql"),
    case("secrets-in-outputs", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
        outputs:
          token: ${{ secrets.TOKEN }}
        """, "outputs.token", 8, "secrets may not be used in outputs"),
    case("env-access", """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: "${{ env.HOME }}"
        """, "steps[0].text", 6, "cannot read environment variables", "as an input, or as a secret"),
    # ---- tests ---------------------------------------------------------------------------
    case("test-mock-unknown-step", """
        loom: 1
        name: t
        steps:
          - id: fetch
            type: http
            url: https://example.org
        tests:
          - name: mocks a typo
            mocks:
              fecth: {status: 200}
        """, "tests[0].mocks.fecth", 10, "mock for unknown step 'fecth'", "did you mean 'fetch'?"),
    case("test-missing-required-input", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        steps:
          - id: a
            type: reply
            text: hi
        tests:
          - name: forgets the url
            inputs: {}
        """, "tests[0].inputs", 11, "does not give required input(s) 'url'", "test's `inputs`"),
    case("test-input-typo", """
        loom: 1
        name: t
        inputs:
          url: {type: string}
        steps:
          - id: a
            type: reply
            text: hi
        tests:
          - name: misspells the url
            inputs: {urll: "https://example.org"}
        """, "tests[0].inputs.urll", 11, "unknown input 'urll'", "did you mean 'url'?"),
]


@pytest.mark.parametrize("broken", CASES)
def test_broken_workflow_reports_its_one_mistake(broken: Case):
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(broken.text)
    problems = caught.value.problems
    summary = "\n".join(p.format() for p in problems)
    assert len(problems) == 1, f"expected one problem, got:\n{summary}"
    problem = problems[0]
    assert problem.path == broken.path, summary
    assert problem.line == broken.line, summary
    assert broken.phrase in problem.message, summary
    if broken.hint is not None:
        assert problem.hint and broken.hint in problem.hint, summary
    if broken.column is not None:
        assert problem.column == broken.column, summary
    assert problem.column is not None and problem.column >= 1


def test_cel_error_column_points_inside_the_expression():
    text = "loom: 1\nname: t\nsteps:\n  - id: a\n    type: reply\n    text: ${{ 1 + }}\n"
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(text)
    (problem,) = caught.value.problems
    line = text.splitlines()[problem.line - 1]
    start = line.index("${{")
    end = line.index("}}", start) + 2
    assert start < problem.column - 1 < end


def test_retry_on_is_a_key_not_a_yaml_1_1_boolean():
    workflow = engine.loads(textwrap.dedent("""
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            retry: {max_attempts: 3, on: [timeout, http_5xx]}
        """))
    assert workflow.steps[0].retry.on == ["timeout", "http_5xx"]


def test_several_independent_mistakes_are_all_reported_in_document_order():
    text = textwrap.dedent("""
        loom: 1
        name: Bad
        steps:
          - id: a
            type: reply
            txt: hi
          - id: b
            type: wait
            duration: soon
        """).lstrip("\n")
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads(text)
    found = [(p.path, p.line) for p in caught.value.problems]
    assert found == [("name", 2), ("steps[0].txt", 6), ("steps[1].duration", 9)]


def test_file_name_is_carried_into_every_problem():
    with pytest.raises(engine.ValidationError) as caught:
        engine.loads("loom: 1\nname: t\nsteps:\n  - {id: a, type: reply}\n", "flows/t.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "flows/t.yaml"
    assert problem.format().startswith("flows/t.yaml:4:")


VALID_NEIGHBOURS = {
    "loop-reads-a-later-step-of-the-previous-pass": """
        loom: 1
        name: t
        steps:
          - id: again
            type: loop
            max_iterations: 3
            until: ${{ steps.count.output.n > 2 }}
            steps:
              - id: show
                type: set
                values: {previous: "${{ index > 0 ? steps.count.output.n : 0 }}"}
              - id: count
                type: set
                values: {n: "${{ index + 1 }}"}
        """,
    "for-each-output-reads-its-body": """
        loom: 1
        name: t
        steps:
          - id: each
            type: for_each
            items: ${{ [1, 2] }}
            steps:
              - {id: double, type: set, values: {v: "${{ item * 2 }}"}}
            output: ${{ steps.double.output.v }}
        outputs:
          doubled: ${{ steps.each.output }}
        """,
    "after-the-join-every-branch-is-readable": """
        loom: 1
        name: t
        steps:
          - id: both
            type: parallel
            branches:
              left: [{id: l, type: set, values: {x: 1}}]
              right: [{id: r, type: set, values: {y: 2}}]
          - {id: sum, type: set, values: {s: "${{ steps.l.output.x + steps.r.output.y }}"}}
        """,
    "error-in-on-error-handlers": """
        loom: 1
        name: t
        steps:
          - id: a
            type: reply
            text: hi
            on_error:
              - {id: b, type: reply, text: "${{ error.message }}"}
        on_error:
          - {id: c, type: reply, text: "${{ error.step }} failed"}
        """,
    "conditional-fail-does-not-end-the-block": """
        loom: 1
        name: t
        inputs:
          n: {type: integer, default: 1}
        steps:
          - {id: stop, type: fail, message: too big, when: "${{ inputs.n > 10 }}"}
          - {id: go, type: reply, text: "yes"}
        """,
    "secrets-in-http-headers": """
        loom: 1
        name: t
        steps:
          - id: call
            type: http
            url: https://example.org
            headers: {Authorization: "Bearer ${{ secrets.API_TOKEN }}"}
        """,
}


@pytest.mark.parametrize("text", VALID_NEIGHBOURS.values(), ids=VALID_NEIGHBOURS.keys())
def test_valid_neighbours_of_the_broken_cases_load(text: str):
    engine.loads(textwrap.dedent(text))
