"""Everything one server process holds: settings, store, catalog, vault, runner, keys and channels.

Built once by `create_app` (or by a test), started and stopped by the app's lifespan.
Components (the tracer, the Telegram bot, the scheduler) are objects with
`async start(loom)` and `async stop()`, started in order and stopped in reverse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatbuilder import Builder
from engine.catalog import Catalog
from engine.library import FileLibrary
from engine.runtime import Runner, Services
from engine.runtime.store import SqlStore
from engine.vault import KEY_FILE, KeySource, Vault

from . import log_masking
from .deliveries import Deliveries
from .keys import KeyStore
from .ratelimit import RateLimiter
from .settings import Settings

log = logging.getLogger("loomwork")


class Component(Protocol):
    async def start(self, loom: Loom) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Loom:
    settings: Settings
    store: SqlStore
    catalog: Catalog
    services: Services
    runner: Runner
    keys: KeyStore
    deliveries: Deliveries
    vault: Vault
    """The stored secrets and connections (encrypted under LOOM_SECRET_KEY or `$LOOM_HOME/secret.key`)."""
    components: list[Component] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    """Per-component state other parts may look up by name (e.g. "telegram")."""
    builder: Builder | None = None
    """The chat builder (sessions, drafts, versions) on the same database."""
    _unmask_log: Callable[[], None] | None = field(default=None, repr=False)
    """Undoes the masking of secrets in log records that `start` installs."""

    @classmethod
    def open(cls, settings: Settings | None = None) -> Loom:
        settings = settings or Settings.from_env()
        settings.home.mkdir(parents=True, exist_ok=True)
        store = SqlStore(settings.database_url or f"sqlite:///{settings.home / 'loom.db'}")
        catalog = Catalog(store.engine, files=FileLibrary())
        from .chat_routing import channel_senders  # the channels' clients for `send` steps

        vault = Vault(store.engine, KeySource(settings.secret_key, settings.home / KEY_FILE))
        services = Services(store=store, resolve_workflow=catalog, senders=channel_senders(settings),
                            secrets=vault.secret_map(), connections=vault.connection_map(),
                            own_credentials=settings.credentials())
        builder = Builder(store.engine, catalog=catalog, model=settings.builder_model,
                          max_attempts=settings.builder_max_attempts)
        loom = cls(settings, store, catalog, services, Runner(services), KeyStore(store.engine),
                   Deliveries(store.engine), vault, builder=builder)
        loom.extras["ratelimit"] = RateLimiter.from_env({"LOOM_RATE_LIMIT": settings.rate_limit or ""})
        return loom

    def migrate(self) -> None:
        """Bring every package's tables up to date now, before anything runs in the background."""
        from chatbuilder.migrations import CHATBUILDER
        from engine.runtime.store.migrations import ENGINE

        from .migrations import INTEGRATIONS

        for migrations in (ENGINE, INTEGRATIONS, CHATBUILDER):
            migrations.upgrade(self.store.engine)

    async def start(self) -> None:
        self.migrate()
        self.vault.verify_key()  # a wrong or missing key stops the server here, saying which, not each run
        self._unmask_log = log_masking.install(self.services.secret_values)
        for component in self.components:
            await component.start(self)

    def _secret_values(self) -> list[str]:
        """What the log must never show: the vault's and environment's secrets, and the server's
        own credentials (the Telegram bot token sits in every Bot API URL httpx logs)."""
        own = (self.settings.telegram_bot_token, self.settings.telegram_webhook_secret,
               self.settings.twilio_auth_token, self.settings.secret_key)
        return [*self.services.secret_values(), *(value for value in own if value)]

    async def stop(self) -> None:
        for component in reversed(self.components):
            try:
                await component.stop()
            except Exception:  # one component failing to stop must not keep the others running
                log.exception("stopping %s failed", type(component).__name__)
        await self.runner.close()
        if self._unmask_log is not None:
            self._unmask_log()
            self._unmask_log = None
        from engine.connectors import sql  # the pools sql steps opened to the operator's databases

        sql.close()
        self.store.close()
