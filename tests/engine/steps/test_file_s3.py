"""The `file` step on an S3-compatible bucket (moto's server on loopback): each operation,
answering in the same shapes as the local files directory."""

from __future__ import annotations

import pytest

import engine
from engine.connections import Connection
from engine.connectors import s3
from engine.files import MAX_READ_BYTES
from tests.peers import s3 as s3_peer
from tests.peers.s3 import SECRET_KEY, S3Bucket

s3_server, s3_bucket = s3_peer.s3_server, s3_peer.s3_bucket


def workflow(step: str) -> engine.Workflow:
    return engine.loads(f"""
loom: 1
name: bucket-test
inputs:
  path: {{type: string, default: notes.txt}}
  text: {{type: string, default: ""}}
steps:
  - id: f
    type: file
    connection: reports
{step}
outputs:
  result: ${{{{ steps.f.output }}}}
""")


async def run(step: str, bucket: S3Bucket, prefix: str = "", **inputs) -> engine.RunResult:
    services = engine.Services(store=engine.MemoryStore(), connections={"reports": bucket.connection(prefix=prefix)})
    return await engine.run(workflow(step), inputs, services=services)


async def output(step: str, bucket: S3Bucket, prefix: str = "", **inputs):
    result = await run(step, bucket, prefix, **inputs)
    assert result.status == "succeeded", result.error
    return result.outputs["result"]


async def failure(step: str, bucket: S3Bucket, **inputs) -> dict:
    result = await run(step, bucket, **inputs)
    assert result.status == "failed", result.outputs
    assert result.error is not None
    return result.error


WRITE = "    op: write\n    path: ${{ inputs.path }}\n    content: ${{ inputs.text }}"
READ = "    op: read_lines\n    path: ${{ inputs.path }}"
LIST = "    op: list\n    path: ${{ inputs.path }}"


async def test_write_puts_the_object_under_the_prefix(s3_bucket):
    out = await output(WRITE, s3_bucket, prefix="team/", path="reports/today.txt", text="héllo\n")

    assert out == {"path": "reports/today.txt", "bytes": len("héllo\n".encode())}
    assert s3_bucket.keys() == ["team/reports/today.txt"]
    assert s3_bucket.text("team/reports/today.txt") == "héllo\n"


async def test_append_reads_and_rewrites_and_creates_a_missing_object(s3_bucket):
    step = WRITE + "\n    append: true"

    await output(step, s3_bucket, path="log.txt", text="one\n")
    out = await output(step, s3_bucket, path="log.txt", text="two\n")

    assert out == {"path": "log.txt", "bytes": 4}
    assert s3_bucket.text("log.txt") == "one\ntwo\n"


@pytest.mark.parametrize("existing", [b"one\n", None], ids=["object", "no-object"])
async def test_an_append_that_loses_a_race_fails_transient_and_keeps_the_other_write(s3_bucket, existing):
    if existing is not None:
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="log.txt", Body=existing)
    client = s3.client(s3_bucket.connection().config)  # the client the step will use

    def other_writer(**_) -> None:  # another run writes between our read and our put
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="log.txt", Body=b"other writer\n")

    client.meta.events.register("before-call.s3.PutObject", other_writer)
    try:
        error = await failure(WRITE + "\n    append: true", s3_bucket, path="log.txt", text="mine\n")
    finally:
        client.meta.events.unregister("before-call.s3.PutObject", other_writer)

    assert error["type"] == "transient" and "changed" in error["message"]
    assert s3_bucket.text("log.txt") == "other writer\n"


async def test_read_lines_pages_with_start_limit_and_next(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="notes.txt", Body=b"a\r\nb\nc\nd")

    assert await output(READ + "\n    start: 2\n    limit: 2", s3_bucket) == {"lines": ["b", "c"], "next": 4}
    assert await output(READ, s3_bucket) == {"lines": ["a", "b", "c", "d"], "next": None}


async def test_grep_answers_line_and_text(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="logs/app.log", Body=b"ok\nERROR x\nok\nERROR y\n")
    step = "    op: grep\n    path: logs/app.log\n    pattern: ERROR\n    limit: 1"

    assert await output(step, s3_bucket) == [{"line": 2, "text": "ERROR x"}]


async def test_a_missing_object_is_a_file_error(s3_bucket):
    error = await failure(READ, s3_bucket, path="nope.txt")

    assert error["type"] == "file"
    assert "nope.txt does not exist" in error["message"]
    assert SECRET_KEY not in error["message"]


async def test_an_object_over_the_read_limit_fails(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="big.log", Body=b"x" * (MAX_READ_BYTES + 1))

    error = await failure(READ, s3_bucket, path="big.log")

    assert error["type"] == "file" and "larger than 10 MiB" in error["message"]


async def test_a_binary_object_is_a_file_error(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="img.bin", Body=b"\x89PNG\r\n\x1a\n\x00\xff")

    assert "not a UTF-8 text file" in (await failure(READ, s3_bucket, path="img.bin"))["message"]


async def test_delete_says_whether_the_object_was_there(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="old.txt", Body=b"x")
    step = "    op: delete\n    path: old.txt"

    assert await output(step, s3_bucket) == {"path": "old.txt", "deleted": True}
    assert s3_bucket.keys() == []
    assert await output(step, s3_bucket) == {"path": "old.txt", "deleted": False}


async def test_list_gives_folders_and_objects_in_key_order_up_to_limit(s3_bucket):
    for key in ("p/b.txt", "p/a.txt", "p/logs/1.log", "p/logs/2.log", "p/", "other.txt"):
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"12345")

    everything = await output(LIST, s3_bucket, prefix="p", path=".")

    assert everything == [
        {"name": "a.txt", "type": "file", "size": 5},
        {"name": "b.txt", "type": "file", "size": 5},
        {"name": "logs", "type": "dir", "size": None},
    ]
    assert await output(LIST + "\n    limit: 2", s3_bucket, prefix="p", path="") == everything[:2]
    assert await output(LIST, s3_bucket, prefix="p", path="logs") == [
        {"name": "1.log", "type": "file", "size": 5}, {"name": "2.log", "type": "file", "size": 5}]
    assert await output(LIST, s3_bucket, prefix="p", path="missing") == []


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "a\\b", "a\x00b"])
async def test_paths_follow_the_local_rules(s3_bucket, path):
    error = await failure(WRITE, s3_bucket, path=path, text="x")

    assert error["type"] == "blocked"
    assert s3_bucket.keys() == []


async def test_a_missing_bucket_is_a_file_error_naming_it(s3_bucket):
    services = engine.Services(store=engine.MemoryStore(),
                               connections={"reports": s3_bucket.connection(bucket="no-such-bucket-here")})

    result = await engine.run(workflow(READ), {}, services=services)

    assert result.error["type"] == "file"
    assert "bucket no-such-bucket-here" in result.error["message"] and "does not exist" in result.error["message"]


async def test_an_unreachable_endpoint_is_transient(s3_bucket, unused_port):
    connection = s3_bucket.connection(endpoint_url=f"http://127.0.0.1:{unused_port}")
    services = engine.Services(store=engine.MemoryStore(), connections={"reports": connection})

    result = await engine.run(workflow(READ), {}, services=services)

    assert result.error["type"] == "transient"
    assert "could not reach" in result.error["message"]


async def test_a_connection_of_another_kind_is_refused(s3_bucket):
    smtp = engine.Services(store=engine.MemoryStore(), connections={
        "reports": Connection.parse("reports", "smtp", {"host": "127.0.0.1", "from": "loom@example.org"})})

    result = await engine.run(workflow(READ), {}, services=smtp)

    assert result.error["type"] == "missing"
    assert "smtp connection, not s3" in result.error["message"]


def test_one_client_per_connection_settings(s3_bucket):
    first, again = s3.client(s3_bucket.connection().config), s3.client(s3_bucket.connection("other").config)
    changed = s3.client(s3_bucket.connection(region="eu-central-1").config)

    assert first is again
    assert changed is not first


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
