"""The fields every step has, and what a step type tells the loader about itself."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field

from ..language.base import STEP_ID, Duration, Expression, LoomModel, described
from ..language.common import RetryPolicy

if TYPE_CHECKING:
    from ..runtime.context import StepContext

# Resolved when the registry builds the union of every registered step type.
StepList = Annotated[list["AnyStep"], Field(min_length=1)]  # type: ignore[name-defined]  # noqa: F821
OptionalStepList = list["AnyStep"]  # type: ignore[name-defined]  # noqa: F821


@dataclass(frozen=True, slots=True)
class Need:
    """A connection a step uses: its name and kind, and whether a secret of that name holding a
    URL may stand in for it (a `sql` step's database URL in `LOOM_SECRET_<NAME>`)."""

    name: str
    kind: str
    secret_fallback: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """A list of steps nested in a step, and the names it brings into scope."""

    path: tuple[str | int, ...]
    steps: list["Step"]
    binds: frozenset[str] = frozenset()


class Step(LoomModel):
    """Fields common to every step type. Subclasses narrow `type` to a literal."""

    external: ClassVar[bool] = False
    """Whether the step reaches outside the run (network, models, code); tests must mock it."""
    expression_fields: ClassVar[frozenset[str]] = frozenset({"when"})
    """Fields that hold one expression (evaluated to a typed value, not a template)."""
    template_fields: ClassVar[frozenset[str]] = frozenset()
    """Fields whose strings may contain `${{ }}` templates, at any depth."""
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    """Fields in which `secrets.NAME` may be used; never fields a model or a chat sees."""
    own_timeout: ClassVar[bool] = False
    """Whether the step reads `timeout` itself (an approval's wait) instead of per attempt."""

    id: str = described("Unique id of the step in the whole workflow.", pattern=STEP_ID, examples=["fetch"])
    type: str = described("The step type.")
    name: str | None = described("Display name.", default=None)
    when: Expression | None = described(
        "The step runs only if this expression is true; otherwise its status is `skipped`.",
        default=None,
        examples=["${{ inputs.style == 'long' }}"],
    )
    timeout: Duration | None = described("Time limit of each attempt.", default=None)
    retry: RetryPolicy | None = described("How the step is retried when it fails.", default=None)
    on_error: Literal["fail", "continue"] | OptionalStepList = described(
        "fail (default): the run fails; continue: the step is `failed`, its output null, the run goes on;"
        " or a list of steps run with `error` in scope.",
        default="fail",
    )

    def children(self) -> Iterator[Block]:
        """Nested step lists, in the order they may run. Control-flow steps override this."""
        if isinstance(self.on_error, list):
            yield Block(("on_error",), self.on_error, frozenset({"error"}))

    async def execute(self, ctx: "StepContext") -> Any:
        """Run one attempt of the step and return its output; raise StepError to fail it.
        Control-flow steps and actions override this; a step type without it cannot be registered."""
        raise NotImplementedError(f"step type '{self.type}' does not implement execute()")

    def connections(self) -> Iterator["Need"]:
        """The connections this step uses, checked before a run starts. Action steps override this."""
        return iter(())

    def field_binds(self, field: str) -> frozenset[str]:
        """Extra names in scope when `field` is evaluated (e.g. a loop variable)."""
        return frozenset()

    def field_value(self, field: str) -> Any:
        return getattr(self, type(self).model_fields_by_alias()[field])

    @classmethod
    def model_fields_by_alias(cls) -> dict[str, str]:
        """YAML name -> attribute name (they differ for `else`, `as` and `json`)."""
        cached = cls.__dict__.get("_alias_map")
        if cached is None:
            cached = {(f.alias or name): name for name, f in cls.model_fields.items()}
            cls._alias_map = cached  # type: ignore[attr-defined]
        return cached
