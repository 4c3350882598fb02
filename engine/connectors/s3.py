"""S3-compatible buckets (AWS S3, Cloudflare R2, MinIO, ...) for `file` steps, and the `s3` check.

A path is a key under the connection's `prefix`, checked by the same rules as a local path
(`engine.files.paths`), so `..` never becomes part of a key. The operations answer exactly as
the local files directory does (`engine.files.storage.Storage`):

- `read_lines`, `grep`: GET the object, refused from its Content-Length above MAX_READ_BYTES
  before the body is read, and the body is never read past that; grep runs in its child.
- `write`: one PUT, which S3 applies atomically.
- `append`: objects cannot be appended to, so the object is read and put back with the text
  added, conditionally (`If-Match` its ETag, or `If-None-Match: *` when it did not exist):
  two appends that race never lose one; the loser fails `transient` and a `retry` repeats it.
  A server that ignores conditional writes makes racing appends last-writer-wins.
- `delete`: HEAD, then DELETE, so that `deleted` says whether the object was there.
- `list`: ListObjectsV2 with delimiter `/`, folders from its common prefixes, in key order;
  a folder with nothing under it lists as empty (a bucket has keys, not folders).

boto3 is synchronous, so each call runs in a worker thread; there is one client per set of
connection settings, cached (boto3 clients are thread-safe). botocore does not retry: the
step's `retry` policy decides, as for every other step. Errors are classified for `retry.on`:
5xx, throttling, timeouts and lost connections are `transient`; a missing key or bucket is
`file`; refused credentials are `error`. Messages name the bucket and endpoint, never a key.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..connections import Connection, ConnectionCheckFailed, S3Config
from ..errors import ErrorKind, StepError
from ..files import grep, lines
from ..files.limits import MAX_LIST_ENTRIES, MAX_READ_BYTES, MAX_WRITE_BYTES, too_large
from ..files.storage import Parts

T = TypeVar("T")
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
                        "TooManyRequestsException", "ServiceUnavailable", "InternalError"})
_REFUSED = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                      "ExpiredToken", "AllAccessDisabled"})


class Bucket:
    """The `file` step's operations on one `s3` connection's bucket."""

    def __init__(self, connection: Connection):
        self.config = connection.expect(S3Config, "a file step")

    @property
    def client(self) -> Any:
        """Looked up in the worker thread: making the first one loads botocore's models (~0.3 s)."""
        return client(self.config)

    async def read_lines(self, parts: Parts, start: int, limit: int | None) -> dict[str, Any]:
        data, _ = await self._call(self._get, parts, MAX_READ_BYTES)
        try:
            return lines.read_lines(io.BytesIO(data), MAX_READ_BYTES, start, limit)
        except lines.LineError as exc:
            raise StepError(f"{_shown(parts)} {exc}", ErrorKind.FILE) from None

    async def grep(self, parts: Parts, pattern: str, limit: int | None, seconds: float) -> list[dict[str, Any]]:
        data, _ = await self._call(self._get, parts, MAX_READ_BYTES)
        return await grep.search(data, pattern, limit, path=_shown(parts), max_bytes=MAX_READ_BYTES, seconds=seconds)

    async def write(self, parts: Parts, data: bytes, append: bool) -> dict[str, Any]:
        if len(data) > MAX_WRITE_BYTES:
            raise too_large(_shown(parts), "content", MAX_WRITE_BYTES, "write")
        await self._call(self._append if append else self._put, parts, data)
        return {"path": _shown(parts), "bytes": len(data)}

    async def delete(self, parts: Parts) -> dict[str, Any]:
        return {"path": _shown(parts), "deleted": await self._call(self._delete, parts)}

    async def list_dir(self, parts: Parts, limit: int | None) -> list[dict[str, Any]]:
        return await self._call(self._list, parts, min(limit or MAX_LIST_ENTRIES, MAX_LIST_ENTRIES))

    async def _call(self, operation: Callable[..., T], parts: Parts, *args: Any) -> T:
        try:
            return await asyncio.to_thread(operation, parts, *args)
        except (ClientError, BotoCoreError) as exc:
            raise failure(exc, self.config, _shown(parts)) from None

    # ---- the operations, in a worker thread -------------------------------------------------

    def _get(self, parts: Parts, cap: int) -> tuple[bytes, str]:
        """The object's bytes (at most `cap`, else a StepError) and its ETag."""
        response = self.client.get_object(Bucket=self.config.bucket, Key=self._key(parts))
        body = response["Body"]
        try:
            size = response.get("ContentLength")
            if size is not None and size > cap:
                raise too_large(_shown(parts), "the object", cap, "read", size)
            data = body.read(cap + 1)
        finally:
            body.close()
        if len(data) > cap:
            raise too_large(_shown(parts), "the object", cap, "read")
        return data, response["ETag"]

    def _put(self, parts: Parts, data: bytes, **condition: str) -> None:
        self.client.put_object(Bucket=self.config.bucket, Key=self._key(parts), Body=data, **condition)

    def _append(self, parts: Parts, data: bytes) -> None:
        try:
            old, etag = self._get(parts, MAX_WRITE_BYTES)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise
            self._put(parts, data, IfNoneMatch="*")
            return
        if len(old) + len(data) > MAX_WRITE_BYTES:
            raise too_large(_shown(parts), "the object with what is appended", MAX_WRITE_BYTES, "write")
        self._put(parts, old + data, IfMatch=etag)

    def _delete(self, parts: Parts) -> bool:
        key = self._key(parts)
        try:
            self.client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        self.client.delete_object(Bucket=self.config.bucket, Key=key)
        return True

    def _list(self, parts: Parts, cap: int) -> list[dict[str, Any]]:
        key = self._key(parts)
        folder = key + "/" if key else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.config.bucket, Prefix=folder, Delimiter="/", PaginationConfig={"PageSize": min(cap, 1000)})
        found: list[dict[str, Any]] = []
        for page in pages:
            found.extend(_entries(page, folder))
            if len(found) >= cap:
                break
        return found[:cap]

    def _key(self, parts: Parts) -> str:
        return "/".join(part for part in (*self.config.prefix.split("/"), *parts) if part)


def _entries(page: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    """One page's folders and objects, merged back into key order, names relative to `folder`."""
    keys = [(p["Prefix"], None) for p in page.get("CommonPrefixes", [])]
    keys += [(o["Key"], o["Size"]) for o in page.get("Contents", []) if o["Key"] != folder]
    entries = []
    for key, size in sorted(keys, key=lambda item: item[0]):
        name = key[len(folder):]
        if name.strip("/"):
            is_dir = size is None
            entries.append({"name": name.rstrip("/"), "type": "dir" if is_dir else "file", "size": size})
    return entries


async def check(connection: Connection) -> str:
    """The connection's "Test": list at most one key of the bucket."""
    config = connection.expect(S3Config, "the s3 check")
    prefix = "/".join(part for part in config.prefix.split("/") if part)

    def list_one() -> None:
        client(config).list_objects_v2(Bucket=config.bucket, MaxKeys=1, Prefix=prefix + "/" if prefix else "")

    try:
        await asyncio.to_thread(list_one)
    except (ClientError, BotoCoreError) as exc:
        raise ConnectionCheckFailed(failure(exc, config).message) from None
    return f"listed bucket {config.bucket} at {_endpoint(config)}"


def client(config: S3Config) -> Any:
    """The cached boto3 client for these settings (a changed setting makes a new one)."""
    return _client(config.endpoint_url, config.region, config.access_key_id, config.secret_access_key)


@lru_cache(maxsize=32)
def _client(endpoint_url: str | None, region: str | None, access_key_id: str, secret_access_key: str) -> Any:
    settings = Config(
        connect_timeout=10, read_timeout=60, retries={"total_max_attempts": 1},
        # Virtual-host names (bucket.host) do not resolve for most self-hosted endpoints.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        # Checksums only where S3 requires them: several S3-compatible servers reject the rest.
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region or "us-east-1", aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key, config=settings)


def failure(exc: Exception, config: S3Config, path: str | None = None) -> StepError:
    """A boto3 error as a StepError whose kind `retry.on` can match; never a credential in it."""
    where = f"bucket {config.bucket} at {_endpoint(config)}"
    if isinstance(exc, ClientError):
        return _client_failure(exc, where, path)
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return StepError(f"could not reach {where}: {exc}", ErrorKind.TRANSIENT)
    return StepError(f"{where}: {exc}", ErrorKind.ERROR)


def _client_failure(exc: ClientError, where: str, path: str | None) -> StepError:
    code = _code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    said = exc.response.get("Error", {}).get("Message") or code
    if code == "NoSuchBucket":
        return StepError(f"{where}: the bucket does not exist", ErrorKind.FILE)
    if code in _MISSING:
        return StepError(f"{path or 'the key'} does not exist in {where}", ErrorKind.FILE)
    if code in ("PreconditionFailed", "ConditionalRequestConflict") or status == 412:
        return StepError(f"{path} changed in {where} while it was appended to; try again", ErrorKind.TRANSIENT)
    if status >= 500 or status == 429 or code in _THROTTLED:
        return StepError(f"{where} is unavailable ({code}: {said}); try again", ErrorKind.TRANSIENT)
    if code in _REFUSED or status in (401, 403):
        return StepError(f"{where} refused the connection's credentials ({code}: {said})", ErrorKind.ERROR)
    return StepError(f"{where} answered {code}: {said}", ErrorKind.ERROR)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _endpoint(config: S3Config) -> str:
    return config.endpoint_url or "AWS S3"


def _shown(parts: Parts) -> str:
    return "/".join(parts) or "."
