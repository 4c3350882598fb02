"""`file`: read, search, write, delete and list text files, in the workspace's files directory
or, with `connection`, in an S3-compatible bucket.

Both places take the same paths (relative, `/`-separated, no `..`, taken literally: see
`engine.files.paths`), checked when the workflow is loaded if the path is literal and again
after it is rendered, and both answer in the same shapes, so moving a workflow to a bucket
means naming a connection and nothing else:

    read_lines  {lines: [text, ...], next}   at most `limit` lines from `start`; `next` is the
                                             line to continue from, null at the end of the file
    grep        [{line, text}, ...]          lines the regular expression `pattern` matches
    write       {path, bytes}                `content` (a non-string value is written as JSON)
    delete      {path, deleted}              `deleted` is false when there was no such file
    list        [{name, type, size}, ...]    `type` file or dir, `size` null for a dir

Limits (`engine.files.limits`): 10 MiB read, 10 MiB written, 10,000 entries listed.

The step is not `external`: `loom test` runs it for real, each test case in a fresh, empty
files directory. A step with a `connection` reaches a server, so a test must mock it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import model_validator

from ..errors import ErrorKind, StepError
from ..files import LocalFiles, Storage, split_path
from ..files.grep import GREP_SECONDS, check_pattern, pattern_problem
from ..language.base import described
from .base import Need, Step
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext

_NEEDS = {"grep": "pattern", "write": "content"}
CONNECTION_NAME = r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$"


@register_step_type
class FileStep(Step):
    template_fields: ClassVar = frozenset({"path", "pattern", "content"})

    type: Literal["file"] = described("Step type.")
    op: Literal["read_lines", "grep", "write", "delete", "list"] = described("The operation.")
    path: str = described(
        "A path relative to the files directory (or the bucket's prefix); may be a template."
        " `list` takes '' or '.' for the top folder.", examples=["reports/today.txt"]
    )
    connection: str | None = described(
        "Name of an `s3` connection: its bucket instead of the workspace's files directory.",
        default=None, pattern=CONNECTION_NAME, examples=["reports_bucket"],
    )
    pattern: str | None = described("With `grep`: the regular expression searched.", default=None)
    content: str | None = described(
        "With `write`: the text written; a template (an expression giving another value writes it as JSON).",
        default=None,
    )
    append: bool = described("With `write`: append instead of replacing.", default=False)
    start: int = described("With `read_lines`: first line (1-based).", default=1, ge=1)
    limit: int | None = described("With `read_lines`, `grep`, `list`: most lines or entries.", default=None, ge=1)

    @model_validator(mode="after")
    def _fields_for_op(self):
        needed = _NEEDS.get(self.op)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"`op: {self.op}` needs `{needed}`")
        if "${{" not in self.path:
            try:
                split_path(self.path, allow_root=self.op == "list")
            except StepError as exc:
                raise ValueError(exc.message) from None
        if self.op == "grep" and isinstance(self.pattern, str) and "${{" not in self.pattern:
            problem = pattern_problem(self.pattern)
            if problem:
                raise ValueError(f"pattern {self.pattern!r} {problem}")
        return self

    def connections(self) -> Iterator[Need]:
        if self.connection is not None:
            yield Need(self.connection, "s3")

    async def execute(self, ctx: StepContext) -> Any:
        storage = self._storage(ctx)
        parts = split_path(ctx.render(self.path), allow_root=self.op == "list")
        if self.op == "read_lines":
            return await storage.read_lines(parts, self.start, self.limit)
        if self.op == "grep":
            pattern = check_pattern(ctx.render(self.pattern))
            return await storage.grep(parts, pattern, self.limit, ctx.timeout(GREP_SECONDS))
        if self.op == "write":
            return await storage.write(parts, _encoded(ctx.render(self.content)), self.append)
        if self.op == "delete":
            return await storage.delete(parts)
        return await storage.list_dir(parts, self.limit)

    def _storage(self, ctx: StepContext) -> Storage:
        if self.connection is None:
            return LocalFiles(ctx.services.files_dir)
        if ctx.services.testing:
            raise StepError(f"step '{self.id}' uses the s3 connection '{self.connection}'; tests never reach a "
                            f"bucket: add `{self.id}` to the test's `mocks`", ErrorKind.UNMOCKED)
        connection = ctx.services.connections.get(self.connection)
        if connection is None:
            raise StepError(f"s3 connection '{self.connection}' is not configured: add it with `loom connections "
                            f"add {self.connection} --kind s3` or in Settings > Connections", ErrorKind.MISSING)
        from ..connectors.s3 import Bucket  # boto3 loads only for steps that use a bucket

        return Bucket(connection)


def _encoded(content: Any) -> bytes:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise StepError("content is not valid Unicode text (it holds a lone surrogate)", ErrorKind.FILE) from None
