"""Encrypting and decrypting the vault's rows with the configured keys (Fernet, via MultiFernet).

The keys are loaded on first need, not when the vault is opened: `loom run` of a workflow
that names no secret, on a machine with an empty vault, never touches a key. A token that
does not open is tried once more after reloading the key file when that file changed since
it was read (another process rotated the key); then it is a `WrongKey` naming where the key
came from. Nothing here writes rows, so a wrong key never costs stored data.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import WrongKey
from .keys import ENV_VAR, KeySource


class Cipher:
    def __init__(self, source: KeySource, may_create: Callable[[], bool]) -> None:
        """`may_create()` answers whether a missing key file may be made now (the vault is empty)."""
        self.source = source
        self._may_create = may_create
        self._keys: list[bytes] | None = None
        self._fernet: MultiFernet | None = None

    def keys(self) -> list[bytes]:
        """The keys in use, the one that encrypts first."""
        if self._keys is None:
            self.use(self.source.load(create=not self.source.exists() and self._may_create()))
        assert self._keys is not None
        return self._keys

    def use(self, keys: list[bytes]) -> None:
        self._keys = list(keys)
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def reload_if_changed(self) -> bool:
        """Re-read the key file if another process replaced it; True when it did."""
        if self._keys is None or not self.source.changed():
            return False
        self._keys = None
        self.keys()
        return True

    def encrypt(self, plain: bytes) -> str:
        return self._multi().encrypt(plain).decode()

    def decrypt(self, token: str, what: str) -> bytes:
        """The plaintext of `token`; `what` ("secret 'X'") names it in a WrongKey."""
        try:
            return self._multi().decrypt(token.encode())
        except InvalidToken:
            if not self.reload_if_changed():
                raise self.wrong_key(what) from None
        try:
            return self._multi().decrypt(token.encode())
        except InvalidToken:
            raise self.wrong_key(what) from None

    def wrong_key(self, what: str) -> WrongKey:
        if self.source.from_env_var:
            fix = (f"set {ENV_VAR} to the key it was stored with (or unset {ENV_VAR} if it was stored with "
                   f"the key file {self.source.path})")
        else:
            fix = (f"restore the key file it was stored with, or set {ENV_VAR} to that key "
                   f"(a key file is only used while {ENV_VAR} is unset)")
        return WrongKey(f"cannot decrypt {what}: it was encrypted with another key than {self.source.describe()}. "
                        f"To read it, {fix}. Nothing stored was changed.")

    def _multi(self) -> MultiFernet:
        self.keys()
        assert self._fernet is not None
        return self._fernet


def rotation_fernet(new_key: bytes, old_keys: list[bytes]) -> MultiFernet:
    """What `MultiFernet.rotate` needs: the new key first (it encrypts), every old one to decrypt."""
    return MultiFernet([Fernet(key) for key in (new_key, *old_keys)])


__all__ = ["Cipher", "rotation_fernet"]
