"""The server's settings, read once from the environment (DESIGN.md lists the variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _csv(value: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def _checked(value: str | None, parse, name: str) -> str | None:
    if value is not None:
        parse({name: value})  # raises ValueError with the variable's name
    return value


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or choices[0]).strip().lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".loom")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 7860
    public_url: str | None = None
    """Where the outside world reaches this server (webhooks); None means local only."""
    secret_key: str | None = None
    builder_model: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str | None = None
    telegram_allowed_chats: frozenset[str] = field(default_factory=frozenset)
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str | None = None
    whatsapp_allowed_senders: frozenset[str] = field(default_factory=frozenset)
    builder_max_attempts: int = 3
    rate_limit: str | None = None
    """`RATE[,BURST]` requests a second per caller, or `off`; None for the default (see `ratelimit`)."""
    cron_catch_up: str = "latest"
    tracing: bool = True
    mlflow_tracking_uri: str | None = None
    mlflow_ui: bool = False

    def credentials(self) -> tuple[str, ...]:
        """The server's own secrets, masked in runs and the log (the bot token is in every Bot API URL)."""
        values = (self.telegram_bot_token, self.telegram_webhook_secret, self.twilio_auth_token, self.secret_key)
        return tuple(value for value in values if value)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """The settings in `env` (the process environment by default); a malformed value raises
        ValueError naming the variable, so the server refuses to start rather than fail later."""
        from chatbuilder.settings import max_attempts_from_env

        from .ratelimit import RateLimiter

        env = dict(os.environ if env is None else env)
        get = lambda name: env.get(name) or None  # noqa: E731 -- empty means unset
        return cls(
            home=Path(get("LOOM_HOME") or ".loom"),
            database_url=get("LOOM_DATABASE_URL"),
            host=get("LOOM_HOST") or "127.0.0.1",
            port=int(get("LOOM_PORT") or 7860),
            public_url=(get("LOOM_PUBLIC_URL") or "").rstrip("/") or None,
            secret_key=get("LOOM_SECRET_KEY"),
            builder_model=get("LOOM_BUILDER_MODEL"),
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            telegram_allowed_chats=_csv(get("TELEGRAM_ALLOWED_CHATS")),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_whatsapp_from=get("TWILIO_WHATSAPP_FROM"),
            twilio_api_base_url=get("TWILIO_API_BASE_URL"),
            whatsapp_allowed_senders=_csv(get("WHATSAPP_ALLOWED_SENDERS")),
            builder_max_attempts=max_attempts_from_env(env),
            rate_limit=_checked(get("LOOM_RATE_LIMIT"), RateLimiter.from_env, "LOOM_RATE_LIMIT"),
            cron_catch_up=_choice(env, "LOOM_CRON_CATCH_UP", ("latest", "skip")),
            tracing=(get("LOOM_TRACING") or "on").lower() not in ("0", "off", "false", "no"),
            mlflow_tracking_uri=get("MLFLOW_TRACKING_URI"),
            mlflow_ui=(get("LOOM_MLFLOW_UI") or "off").lower() in ("1", "on", "true", "yes"),
        )
