"""`email`: send a plain-text email over an `smtp` connection the operator configured.

A workflow names the connection (`connection`, default `smtp`), never a server or a
password, and the run checks that it exists before its first step. Recipients are checked
before the server is contacted, so a bad address fails naming the step instead of as a
5xx halfway through. A message reaches every recipient or none (`engine.connectors.smtp`),
so `retry: {on: [transient]}` retries a 4xx without sending anyone a second copy.
Output: `{message_id}`, the message's Message-ID header.

`send` steps on `channel: email` go through `recipients` and `send_mail` here as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..connections import SmtpConfig
from ..connectors.addresses import InvalidAddress, parse_addresses
from ..errors import ErrorKind, StepError
from ..language.base import IDENTIFIER, described
from .base import Need, Step
from .registry import register_step_type

if TYPE_CHECKING:
    from email.headerregistry import Address

    from ..connectors.smtp import Mail
    from ..runtime.context import StepContext


@register_step_type
class EmailStep(Step):
    external: ClassVar = True
    template_fields: ClassVar = frozenset({"to", "subject", "body"})
    secret_fields: ClassVar = frozenset({"to"})

    type: Literal["email"] = described("Step type.")
    connection: str = described(
        "Name of the smtp connection that sends the message (the server, login and From address).",
        default="smtp", pattern=IDENTIFIER, examples=["smtp", "newsletter"],
    )
    to: str | list[str] = described("Recipient address(es).", examples=["team@example.org"])
    subject: str = described("Subject line; a template.")
    body: str = described("Plain-text body; a template.")

    def connections(self) -> Iterator[Need]:
        yield Need(self.connection, "smtp")

    async def execute(self, ctx: StepContext) -> dict[str, Any]:
        from ..connectors.smtp import Mail  # aiosmtplib is imported by runs that send, not by `loom validate`

        to = recipients(ctx.render(self.to), f"`to` of email step '{self.id}'")
        mail = Mail(to, _text(ctx.render(self.subject)), _text(ctx.render(self.body)))
        return {"message_id": await send_mail(ctx, self.connection, mail, "an email step")}


def recipients(value: Any, where: str) -> list[Address]:
    """The addresses in a rendered `to`, or a StepError (kind `error`) saying what is wrong `where`."""
    try:
        found = parse_addresses(value if isinstance(value, str | list) else str(value))
    except InvalidAddress as exc:
        raise StepError(f"{where}: {exc}", ErrorKind.ERROR) from None
    if not found:
        raise StepError(f"{where} is empty; it must name at least one recipient", ErrorKind.ERROR)
    return found


async def send_mail(ctx: StepContext, name: str, mail: Mail, user: str) -> str:
    """Send `mail` over the smtp connection `name`; its Message-ID. `user` names the step type
    in the error for a connection of another kind."""
    from ..connectors import smtp

    connection = ctx.services.connections.get(name)
    if connection is None:
        # The preflight refuses such a run; a resumed run or a direct call gets here.
        raise StepError(f"smtp connection '{name}' (used by step '{ctx.step.id}') is not configured: add it with "
                        f"`loom connections add {name} --kind smtp` or in Settings > Connections", ErrorKind.MISSING)
    config = connection.expect(SmtpConfig, user)
    message = smtp.compose(config, mail)
    await smtp.send(config, message, mail.to)
    return str(message["Message-ID"])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
