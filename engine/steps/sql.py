"""`sql`: run one parameterized statement on a database the operator configured.

`connection` names a `sql` connection, or, as before connections existed, a secret whose value is
the database URL (`LOOM_SECRET_<NAME>`); either way the URL is checked as a connection's would be,
and the run's preflight fails before its first step when neither is configured. Values reach the
database as bound parameters only. A step reads unless it says `mode: write`: a read runs in a
read-only transaction, so an INSERT, UPDATE or DDL in it fails and says to add `mode: write`.
At most `max_rows` rows come back, and `truncated` says whether more were there. The statement
stops at the step's `timeout` (the workflow's default, else 30 s), enforced by the database
itself, which is why this step takes its timeout over from the executor (`own_timeout`).
The connector (`engine.connectors.sql`) says how each database does all this.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import ValidationError as PydanticValidationError
from pydantic import ValidationInfo, field_validator

from ..connections import SqlConfig
from ..errors import ErrorKind, StepError
from ..language.base import IDENTIFIER, described
from .base import Need, Step
from .registry import register_step_type

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..runtime.context import StepContext

DEFAULT_MAX_ROWS = 1000
MOST_ROWS = 100_000
DEFAULT_TIMEOUT = 30.0
PLACEHOLDER = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)
"""`:name`, exactly as `sqlalchemy.text` finds it (not `::cast`, not `\\:`), without importing SQLAlchemy
when a workflow is only loaded."""


@register_step_type
class SqlStep(Step):
    external: ClassVar = True
    own_timeout: ClassVar = True  # the database stops the statement at `timeout`; a thread cannot be cancelled
    template_fields: ClassVar = frozenset({"params"})
    secret_fields: ClassVar = frozenset({"params"})

    type: Literal["sql"] = described("Step type.")
    connection: str = described(
        "Name of a `sql` connection, or of a secret holding the SQLAlchemy database URL "
        "(`LOOM_SECRET_<NAME>=postgresql+psycopg://user:password@host/db`).", pattern=IDENTIFIER, examples=["CRM_DB"]
    )
    query: str = described(
        "The SQL, with `:name` placeholders; never build it from inputs, pass them in `params`.",
        examples=["SELECT name, email FROM leads WHERE score > :min_score"],
    )
    params: dict[str, Any] = described(
        "Values bound to the placeholders; may be expressions. A list or map is bound as its JSON text.",
        default_factory=dict,
    )
    mode: Literal["read", "write"] = described(
        "`read` (default): the statement runs in a read-only transaction; `write`: it may change the "
        "database (INSERT, UPDATE, DELETE, DDL) and is committed.", default="read"
    )
    max_rows: int = described(
        "Most rows returned; `truncated` in the output says whether there were more.",
        default=DEFAULT_MAX_ROWS, ge=1, le=MOST_ROWS,
    )

    @field_validator("params")
    @classmethod
    def _placeholders_have_values(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        # Checked where `params` is given, so a misspelt key there is shown where it is; a query with
        # placeholders and no `params` at all fails when it runs, naming the placeholder.
        missing = sorted(set(PLACEHOLDER.findall(info.data.get("query") or "")) - set(params))
        if missing:
            names = ", ".join(f":{name}" for name in missing)
            raise ValueError(f"`query` uses {names}, which `params` does not give: add "
                             f"{', '.join(missing)} to `params`")
        return params

    def connections(self) -> Iterator[Need]:
        yield Need(self.connection, "sql", secret_fallback=True)

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        from ..connectors import sql

        statement = sql.Statement(self.query, dict(ctx.render(self.params) or {}), write=self.mode == "write",
                                  max_rows=self.max_rows, timeout=ctx.timeout(DEFAULT_TIMEOUT))
        return await sql.run(self._config(ctx).url, statement)

    def _config(self, ctx: StepContext) -> SqlConfig:
        connection = ctx.services.connections.get(self.connection)
        if connection is not None:
            return connection.expect(SqlConfig, "a sql step")
        url = ctx.services.secret(self.connection)
        if not url:
            from ..runtime.preflight import Missing

            raise StepError(Missing(self.connection, "sql", self.id).message, ErrorKind.MISSING)
        try:
            return SqlConfig(url=url)
        except PydanticValidationError:  # its text would repeat the secret
            raise StepError(f"secret '{self.connection}' does not hold a database URL: write it as "
                            "dialect+driver://user:password@host/database", ErrorKind.MISSING) from None
