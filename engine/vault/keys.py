"""Where the vault's encryption key comes from, and how the key file is kept.

Two places, the first that is set wins:

- `LOOM_SECRET_KEY`. A Fernet key (44 url-safe base64 characters, as `loom secrets rotate-key`
  prints) is used as it is. Any other value of at least 16 characters is a passphrase, and the
  Fernet key is derived from it with scrypt (n=2**15, r=8, p=1; a fixed salt that names this
  purpose, so one passphrase always gives the same key). A passphrase is accepted rather than
  refused because the same variable already signs callbacks and webhooks, and servers set it
  long before the vault existed. Shorter values are refused: too guessable to encrypt with.
- otherwise the key file `$LOOM_HOME/secret.key`: Fernet keys, one a line; the first encrypts,
  every one decrypts (a rotation holds two for a moment). It is made on first use with mode
  0600: written whole into a fresh temp file opened `O_CREAT|O_EXCL` with mode 0600, then
  hard-linked into place, so no process ever reads a half-written key and two processes
  starting at once end up with the same key. A key file that group or others may read is
  refused. Rewrites (rotation) go through a temp file and `os.replace`.

A key file is never created over stored data (the vault decides, see `Cipher`): encrypting new
rows with a fresh key that the old rows don't open would split the vault in two.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import KeyUnavailable

ENV_VAR = "LOOM_SECRET_KEY"
KEY_FILE = "secret.key"
MIN_PASSPHRASE = 16
_SALT = b"loomwork vault key v1"
_GENERATE = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

Stamp = tuple[int, int, int]
"""What identifies one version of the key file: inode, modification time, size."""


def generate_key() -> str:
    """A new random Fernet key."""
    return Fernet.generate_key().decode()


def is_fernet_key(value: str) -> bool:
    try:
        return len(value) == 44 and len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


@functools.lru_cache(maxsize=4)
def derive_key(passphrase: str) -> bytes:
    """The Fernet key of a passphrase (about 0.1 s, once per process)."""
    kdf = Scrypt(salt=_SALT, length=32, n=2**15, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))


class KeySource:
    """The configured key: `env_key` (LOOM_SECRET_KEY's value) when set, else the file at `path`."""

    def __init__(self, env_key: str | None, path: Path) -> None:
        self.env_key = env_key or None
        self.path = path
        self._stamp: Stamp | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeySource:
        """LOOM_SECRET_KEY, else `$LOOM_HOME/secret.key` (LOOM_HOME defaults to `./.loom`)."""
        environ = os.environ if environ is None else environ
        return cls(environ.get(ENV_VAR), Path(environ.get("LOOM_HOME") or ".loom") / KEY_FILE)

    @property
    def from_env_var(self) -> bool:
        return self.env_key is not None

    def describe(self) -> str:
        return ENV_VAR if self.from_env_var else f"the key file {self.path}"

    def exists(self) -> bool:
        return self.from_env_var or self.path.exists()

    def load(self, *, create: bool) -> list[bytes]:
        """The keys, the one that encrypts first; `create` allows making a missing key file."""
        if self.env_key is not None:
            return [_env_fernet_key(self.env_key)]
        if not self.path.exists():
            if not create:
                raise KeyUnavailable(f"the vault holds encrypted data but the key file {self.path} is missing: "
                                     f"restore it, or set {ENV_VAR} to the key the data was stored with")
            _publish_new(self.path, generate_key())
        keys, self._stamp = _read(self.path)
        return keys

    def changed(self) -> bool:
        """Whether the key file is not the one last loaded (another process rotated the key)."""
        if self.from_env_var or self._stamp is None:
            return False
        try:
            return _stamp(os.stat(self.path)) != self._stamp
        except FileNotFoundError:
            return True

    def write(self, keys: list[bytes]) -> None:
        """Replace the key file's keys at once (rotation); never called for LOOM_SECRET_KEY."""
        assert not self.from_env_var, "LOOM_SECRET_KEY is not a file to write"
        tmp = _write_temp(self.path, b"".join(key + b"\n" for key in keys))
        os.replace(tmp, self.path)
        _sync_dir(self.path.parent)


def _env_fernet_key(value: str) -> bytes:
    if is_fernet_key(value):
        return value.encode()
    if len(value) < MIN_PASSPHRASE:
        raise KeyUnavailable(f"{ENV_VAR} is neither a Fernet key nor a passphrase of at least {MIN_PASSPHRASE} "
                             f"characters: generate a key with {_GENERATE} (or unset {ENV_VAR} to use a key file)")
    return derive_key(value)


def _publish_new(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, key.encode() + b"\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it a moment ago: theirs is the key
    finally:
        tmp.unlink()
    _sync_dir(path.parent)


def _write_temp(path: Path, content: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _read(path: Path) -> tuple[list[bytes], Stamp]:
    with open(path, "rb") as file:
        info = os.fstat(file.fileno())
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(f"the key file {path} may be read by other users (mode "
                                 f"{stat.S_IMODE(info.st_mode):o}): run `chmod 600 {path}`")
        lines = [line.strip() for line in file.read().splitlines() if line.strip()]
    if not lines or not all(is_fernet_key(line.decode(errors="replace")) for line in lines):
        raise KeyUnavailable(f"the key file {path} does not hold Fernet keys (one a line): restore it from a "
                             f"backup, or set {ENV_VAR}")
    return lines, _stamp(info)


def _stamp(info: os.stat_result) -> Stamp:
    return info.st_ino, info.st_mtime_ns, info.st_size


def _sync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable (a crash must not bring the old key file back)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is still atomic
    finally:
        os.close(fd)


__all__ = ["ENV_VAR", "KEY_FILE", "KeySource", "derive_key", "generate_key", "is_fernet_key"]
