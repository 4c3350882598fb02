"""The vault: the operator's secrets and connections, encrypted at rest in the app's database.

    vault = Vault.for_store(store)                       # the store `loom run` and the server use
    vault.set_secret("GITHUB_TOKEN", token)              # `loom secrets set`, PUT /api/v1/secrets/{name}
    vault.add_connection(Connection.parse("crm", "sql", {"url": ...}))
    Services(store, secrets=vault.secret_map(), connections=vault.connection_map())

Workflows only name what they need (`${{ secrets.NAME }}`, `connection: crm`); the values live
here, so a workflow file, a chat transcript or a run's journal never holds one. Rows are Fernet
tokens under a key from `LOOM_SECRET_KEY` or the 0600 key file `$LOOM_HOME/secret.key` (`keys`);
`rotate_key` replaces the key (`rotation`). `LOOM_SECRET_<NAME>` in the environment wins over a
stored secret (`views`). Nothing here returns a value except to the run that asks for it by name.
"""

from .errors import InvalidName, KeyUnavailable, NotStored, VaultError, WrongKey
from .keys import ENV_VAR, KEY_FILE, KeySource, generate_key
from .rotation import Rotation
from .vault import MAX_VALUE_BYTES, ConnectionInfo, SecretInfo, Vault, check_name
from .views import ConnectionMap, SecretMap

__all__ = [
    "ENV_VAR",
    "KEY_FILE",
    "MAX_VALUE_BYTES",
    "ConnectionInfo",
    "ConnectionMap",
    "InvalidName",
    "KeySource",
    "KeyUnavailable",
    "NotStored",
    "Rotation",
    "SecretInfo",
    "SecretMap",
    "Vault",
    "VaultError",
    "WrongKey",
    "check_name",
    "generate_key",
]
