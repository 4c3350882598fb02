"""One configured connection: its name, its kind and its checked settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError as PydanticValidationError

from ..errors import ErrorKind, LoomError, StepError
from .kinds import KINDS, ConnectionConfig

C = TypeVar("C", bound=ConnectionConfig)


class ConnectionInvalid(LoomError):
    """A connection's settings are incomplete or malformed; the message names each field."""


@dataclass(frozen=True, slots=True)
class Connection:
    name: str
    config: ConnectionConfig

    @property
    def kind(self) -> str:
        return self.config.kind

    @classmethod
    def parse(cls, name: str, kind: str, settings: Mapping[str, Any]) -> Connection:
        """Check `settings` against the kind's fields; ConnectionInvalid names every mistake."""
        model = KINDS.get(kind)
        if model is None:
            raise ConnectionInvalid(f"unknown connection kind '{kind}': use one of {', '.join(sorted(KINDS))}")
        try:
            return cls(name, model.model_validate(dict(settings)))
        except PydanticValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or kind}: {e['msg']}" for e in exc.errors())
            raise ConnectionInvalid(f"connection '{name}' ({kind}): {problems}") from None

    def settings(self) -> dict[str, Any]:
        """Every setting, credentials included: what the vault encrypts."""
        return self.config.model_dump(by_alias=True, exclude_none=True)

    def summary(self) -> str:
        return self.config.summary()

    def secret_values(self) -> Iterator[str]:
        """The credentials in this connection, for scrubbing (a database URL's password too)."""
        for name in type(self.config).secret_fields():
            value = getattr(self.config, name)
            if isinstance(value, str) and value:
                yield value
                yield from _url_password(value)

    def expect(self, model: type[C], step: str) -> C:
        """The settings as `model`, or a StepError saying that `step` needs another kind."""
        if not isinstance(self.config, model):
            raise StepError(f"connection '{self.name}' is a {self.kind} connection; {step} needs a "
                            f"{model.kind} connection", ErrorKind.MISSING)
        return self.config


def _url_password(value: str) -> Iterator[str]:
    if "://" not in value:
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(value).password
    except (ArgumentError, ValueError):
        return
    if password:
        yield str(password)
