"""An S3-compatible server on loopback (moto's), and a fresh bucket with its connection per test.

    from tests.peers import s3 as s3_peer
    s3_server, s3_bucket = s3_peer.s3_server, s3_peer.s3_bucket   # the fixtures, in the test module

    def test_x(s3_bucket):
        s3_bucket.connection()             # an `s3` Connection to a new, empty bucket
        s3_bucket.client.put_object(...)   # a plain boto3 client, to arrange and inspect

One server serves the whole session (moto keeps its buckets in the process, shared by every
server it starts); each test gets a bucket of its own, so tests never see each other's keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from engine.connections import Connection

ACCESS_KEY = "AKIALOOMTEST"
SECRET_KEY = "loom-test-secret-do-not-print"
REGION = "us-east-1"


@dataclass
class S3Bucket:
    endpoint: str
    name: str
    client: Any

    def connection(self, name: str = "reports", **settings: Any) -> Connection:
        values = {"bucket": self.name, "endpoint_url": self.endpoint, "region": REGION,
                  "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, **settings}
        return Connection.parse(name, "s3", values)

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listed.get("Contents", [])]

    def text(self, key: str) -> str:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read().decode()


@dataclass
class S3Server:
    endpoint: str
    client: Any

    def bucket(self) -> S3Bucket:
        name = f"loom-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return S3Bucket(self.endpoint, name, self.client)


@contextmanager
def moto_s3() -> Iterator[S3Server]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY, config=Config(s3={"addressing_style": "path"}))
    try:
        yield S3Server(endpoint, client)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> S3Bucket:
    return s3_server.bucket()
