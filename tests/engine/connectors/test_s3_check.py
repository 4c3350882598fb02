"""The "Test" action of an s3 connection, against moto's S3-compatible server on loopback: it
lists the bucket, or raises ConnectionCheckFailed saying why (never the secret key)."""

from __future__ import annotations

import socket

import pytest

from engine.connections import ConnectionCheckFailed, check
from tests.peers import s3 as s3_peer
from tests.peers.s3 import SECRET_KEY

s3_server, s3_bucket = s3_peer.s3_server, s3_peer.s3_bucket


async def test_good_credentials_list_the_bucket(s3_bucket):
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="a.txt", Body=b"x")

    said = await check(s3_bucket.connection())

    assert said == f"listed bucket {s3_bucket.name} at {s3_bucket.endpoint}"


async def test_a_prefix_is_listed_too(s3_bucket):
    assert (await check(s3_bucket.connection(prefix="team/reports"))).startswith("listed bucket")


async def test_a_bucket_that_does_not_exist_fails_naming_it(s3_bucket):
    with pytest.raises(ConnectionCheckFailed) as failed:
        await check(s3_bucket.connection(bucket="no-such-bucket-here"))

    message = str(failed.value)
    assert "bucket no-such-bucket-here" in message and "does not exist" in message
    assert s3_bucket.endpoint in message
    assert SECRET_KEY not in message


async def test_an_endpoint_that_does_not_answer_fails_saying_so(s3_bucket):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(ConnectionCheckFailed, match="could not reach") as failed:
        await check(s3_bucket.connection(endpoint_url=f"http://127.0.0.1:{port}"))

    assert SECRET_KEY not in str(failed.value)
