"""`send`: deliver a message on a channel other than the one that asked.

`webhook` posts `{"text", "workflow", "run_id", "step"}` as JSON to the URL in `to`, through
the same SSRF guard and error classes as `http` steps. `telegram` and `whatsapp` go through
the channel clients the server puts in `Services.senders` (the engine imports no channel
library); without one the step fails with kind `unsupported`. `email` sends a plain-text
message to the address(es) in `to` over the smtp connection named `smtp`, the way an `email`
step does (same checks, same error kinds); its subject is the text's first non-blank line
(shortened to 78 characters), or "Message from <workflow>" when the text has none. An
`email` step chooses its connection and subject itself. The output is a delivery receipt:
`{channel, to, message_id, status}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx

from ..errors import StepError
from ..language.base import described
from ..runtime.netguard import display_url
from ..runtime.tls import tls_context
from .base import Need, Step
from .email import recipients, send_mail
from .http import DEFAULT_TIMEOUT, parse_url, retry_after, send_guarded
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext

CONFIGURE = {
    "telegram": "set TELEGRAM_BOT_TOKEN (and TELEGRAM_API_BASE_URL for a self-hosted Bot API server)",
    "whatsapp": "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM",
}
_USES_SECRET = re.compile(r"\bsecrets\s*\.")
SMTP_CONNECTION = "smtp"
SUBJECT_LENGTH = 78


@register_step_type
class SendStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"to", "text"})
    secret_fields: ClassVar = frozenset({"to"})

    type: Literal["send"] = described("Step type.")
    channel: Literal["telegram", "whatsapp", "email", "webhook"] = described("Where to send.")
    to: str = described(
        "Recipient: a Telegram chat id, a WhatsApp number, an email address or a webhook URL.",
        examples=["${{ trigger.chat_id }}", "+4915112345678"],
    )
    text: str = described("The message; a template.")

    def connections(self) -> Iterator[Need]:
        if self.channel == "email":
            yield Need(SMTP_CONNECTION, "smtp")

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        to = _text(ctx.render(self.to)).strip()
        text = _text(ctx.render(self.text))
        if not to:
            raise StepError(f"`to` of send step '{self.id}' is empty; it must name a recipient", "error")
        if self.channel == "email":
            receipt = await _email(ctx, to, text)
        elif self.channel == "webhook":
            receipt = await self._post(ctx, to, text)
        else:
            sender = ctx.services.senders.get(self.channel)
            if sender is None:
                raise StepError(f"the {self.channel} channel is not configured in this process: "
                                f"{CONFIGURE[self.channel]}", "unsupported")
            receipt = dict(await sender(to, text))
        shown = receipt.pop("to", to)
        shown = "(secret)" if _USES_SECRET.search(self.to) else shown
        return {"channel": self.channel, "to": shown, "message_id": receipt.get("message_id"),
                "status": receipt.get("status", "sent"), **receipt}

    async def _post(self, ctx: StepContext, to: str, text: str) -> dict[str, Any]:
        url = parse_url(to, None)
        body = {"json": {"text": text, "workflow": ctx.workflow_name, "run_id": ctx.run_id,
                         "step": self.id}}
        headers = {"Idempotency-Key": ctx.idempotency_key()}
        timeout = ctx.timeout(DEFAULT_TIMEOUT)
        async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout,
                                     verify=tls_context()) as client:
            response, content = await send_guarded(client, "POST", url, headers, body, ctx.services.http_allow)
        status = response.status_code
        if 200 <= status < 300:
            return {"to": display_url(url), "message_id": response.headers.get("x-request-id"),
                    "status": "delivered", "http_status": status}
        snippet = content[:300].decode(response.encoding or "utf-8", errors="replace").strip()
        message = f"the webhook {display_url(url)} answered HTTP {status}" + (f": {snippet}" if snippet else "")
        wait = retry_after(response.headers.get("retry-after"))
        if status == 429:
            raise StepError(message, "http_429", retry_after=wait)
        raise StepError(message, "http_5xx" if status >= 500 else "http_error", retry_after=wait)


async def _email(ctx: StepContext, to: str, text: str) -> dict[str, Any]:
    from ..connectors.smtp import Mail

    mail = Mail(recipients(to, f"`to` of send step '{ctx.step.id}'"), _subject(text, ctx.workflow_name), text)
    return {"message_id": await send_mail(ctx, SMTP_CONNECTION, mail, "a send step on channel email"),
            "status": "sent"}


def _subject(text: str, workflow: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not line:
        return f"Message from {workflow}"
    return line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1].rstrip() + "\u2026"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
