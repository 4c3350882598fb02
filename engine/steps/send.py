"""`send`: deliver a message on a channel other than the one that asked.

`webhook` posts `{"text", "workflow", "run_id", "step"}` as JSON to the URL in `to`, through
the same SSRF guard and error classes as `http` steps. `telegram` and `whatsapp` go through
the channel clients the server puts in `Services.senders` (the engine imports no channel
library); without one the step fails with kind `unsupported`, as does `email` (use an
`email` step). The output is a delivery receipt: `{channel, to, message_id, status}`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx

from ..errors import StepError
from ..language.base import described
from ..runtime.netguard import display_url
from ..runtime.tls import tls_context
from .base import Step
from .http import DEFAULT_TIMEOUT, parse_url, retry_after, send_guarded
from .registry import register_step_type

if TYPE_CHECKING:
    from ..runtime.context import StepContext

CONFIGURE = {
    "telegram": "set TELEGRAM_BOT_TOKEN (and TELEGRAM_API_BASE_URL for a self-hosted Bot API server)",
    "whatsapp": "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM",
}
_USES_SECRET = re.compile(r"\bsecrets\s*\.")


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

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        to = _text(ctx.render(self.to)).strip()
        text = _text(ctx.render(self.text))
        if not to:
            raise StepError(f"`to` of send step '{self.id}' is empty; it must name a recipient", "error")
        if self.channel == "email":
            raise StepError("send on channel email is not supported; use an `email` step", "unsupported")
        if self.channel == "webhook":
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



def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
