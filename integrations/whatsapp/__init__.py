"""The WhatsApp channel through Twilio: the inbound webhook, and the `send` step's client."""

from __future__ import annotations

from ..settings import Settings
from .channel import WhatsAppChannel, WhatsAppComponent
from .twilio_api import whatsapp_address, whatsapp_sender
from .webhook import router


def component(settings: Settings) -> WhatsAppComponent | None:
    """None unless TWILIO_AUTH_TOKEN is set (the webhook also attaches the channel on first use)."""
    return WhatsAppComponent() if settings.twilio_auth_token else None


__all__ = ["WhatsAppChannel", "component", "router", "whatsapp_address", "whatsapp_sender"]
