"""What the vault raises.

    VaultError              base: every message says what was wrong and what to do
     ├── InvalidName        a secret or connection name the vault does not accept
     ├── NotStored          no secret or connection by that name
     ├── KeyUnavailable     no usable key: the key file is missing over stored data, readable
     │                      by others, or malformed; LOOM_SECRET_KEY is too short
     └── WrongKey           stored data does not open with the key at hand (another key wrote it)

All are `LoomError`s, so the CLI prints them as one line and the API answers with their text.
None of them ever carries a value.
"""

from __future__ import annotations

from ..errors import LoomError


class VaultError(LoomError):
    """Base of the vault's errors."""


class InvalidName(VaultError):
    """A name that is not letters, digits and underscores (starting with a letter or underscore), 1-63 long."""


class NotStored(VaultError):
    """No secret or connection with that name is stored."""


class KeyUnavailable(VaultError):
    """The vault has no usable key; the message says where it looked and how to fix it."""


class WrongKey(VaultError):
    """Stored data was encrypted with another key than the one configured; nothing was changed."""
