"""Read-only mappings over the vault, for `Services.secrets` and `Services.connections`.

The executor looks up only the secrets a workflow names, one name at a time, so a value is
decrypted when it is asked for, never all at once. The scrubber, though, iterates every value
(it must mask whatever a run could come across), so iteration covers the environment's
`LOOM_SECRET_<NAME>` variables and every stored name. Membership tests need no key: preflight
asks "is it configured?" before anything is decrypted.

The environment is read at each access, and a `LOOM_SECRET_<NAME>` that is set and not empty
wins over the stored value (DSL.md: "still works and wins"), as an empty variable counts as
unset everywhere else in Loomwork.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ..runtime.services import SECRET_PREFIX
from .errors import NotStored

if TYPE_CHECKING:
    from ..connections import Connection
    from .vault import Vault


class SecretMap(Mapping[str, str]):
    def __init__(self, vault: Vault, environ: Mapping[str, str] | None = None) -> None:
        self._vault = vault
        self._environ = os.environ if environ is None else environ

    def __getitem__(self, name: str) -> str:
        value = self._environ.get(SECRET_PREFIX + name) if isinstance(name, str) else None
        if value:
            return value
        if not self._stored(name):
            raise KeyError(name)
        try:
            return self._vault.secret(name)
        except NotStored:  # deleted a moment ago
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (bool(self._environ.get(SECRET_PREFIX + name)) or self._stored(name))

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._env_names(), *self._vault.secret_names()]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _env_names(self) -> list[str]:
        return [key[len(SECRET_PREFIX):] for key, value in self._environ.items()
                if key.startswith(SECRET_PREFIX) and value]

    def _stored(self, name: str) -> bool:
        return name in self._vault.secret_names()


class ConnectionMap(Mapping[str, "Connection"]):
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def __getitem__(self, name: str) -> Connection:
        if name not in self:
            raise KeyError(name)
        try:
            return self._vault.connection(name)
        except NotStored:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._vault.connection_names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._vault.connection_names())

    def __len__(self) -> int:
        return len(self._vault.connection_names())


__all__ = ["ConnectionMap", "SecretMap"]
