"""SMTP: send one message over an `smtp` connection, and that connection's "Test" action.

    message = compose(config, Mail(to=[...], subject="...", body="..."))
    await send(config, message, recipients)      # a StepError with a retry kind when it fails
    await check(connection)                      # "logged in to smtp.example.org:587 as ada (STARTTLS)"

`security: tls` is TLS from the first byte (port 465), `starttls` upgrades a plain connection
and refuses to go on without it (587), `none` stays plain (25, a relay on loopback). The
server's certificate is verified against the public CAs, or against the connection's own
`ca_cert`; there is no switch that turns verification off.

The transaction is driven step by step (MAIL, one RCPT per recipient, DATA) instead of with
aiosmtplib's `send_message`, which delivers to the recipients a server accepted when it
refused others: a retry would then send those a second copy. Here the first refused
recipient ends the transaction before DATA, so a message reaches every recipient or none.
(One case remains, as with any SMTP client: a connection lost after the message went out and
before the server's answer leaves it unknown whether it was accepted; a retry may deliver twice.)

How failures are classed, so that a step's `retry` policy does the right thing:

    a 4xx reply, a refused, reset or lost connection   ErrorKind.TRANSIENT   try again later
    no answer in the connection's `timeout`            ErrorKind.TIMEOUT
    a 5xx reply, a TLS failure, no STARTTLS, no AUTH   ErrorKind.SMTP        retrying cannot help

Messages name the server, and quote its reply code and text; never a credential.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

import aiosmtplib

from ..connections import Connection, ConnectionCheckFailed, SmtpConfig
from ..errors import ErrorKind, StepError
from ..runtime.tls import tls_context
from .addresses import parse_address

# 7-bit clean: a UTF-8 subject or body is encoded, so no server needs to offer 8BITMIME.
_POLICY = SMTP_POLICY.clone(cte_type="7bit")
_SECURITY = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}


@dataclass(frozen=True, slots=True)
class Mail:
    to: Sequence[Address]
    subject: str
    body: str


def compose(config: SmtpConfig, mail: Mail) -> EmailMessage:
    """The message: From the connection, a one-line Subject, a plain-text body, a Date and
    a Message-ID in the sender's domain."""
    sender = parse_address(config.sender)
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = " ".join(mail.subject.split())  # a template may leave line breaks in it
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(mail.body)
    return message


async def send(config: SmtpConfig, message: EmailMessage, recipients: Sequence[Address]) -> None:
    """Deliver `message` to `recipients` (the envelope, one RCPT each), or raise StepError."""
    sender = parse_address(config.sender).addr_spec
    async with _session(config) as client:
        await client.mail(sender)
        for recipient in dict.fromkeys(r.addr_spec for r in recipients):
            await client.rcpt(recipient)
        await client.data(message.as_bytes())


async def check(connection: Connection) -> str:
    """Connect, EHLO, TLS as configured, log in if configured, QUIT: what worked, in one line."""
    config = connection.config
    if not isinstance(config, SmtpConfig):
        raise ConnectionCheckFailed(f"connection '{connection.name}' is a {connection.kind} connection, not smtp")
    try:
        async with _session(config):
            pass
    except StepError as exc:
        raise ConnectionCheckFailed(f"connection '{connection.name}': {exc.message}") from None
    how = _SECURITY[config.security]
    if config.username:
        return f"logged in to {_where(config)} as {config.username} ({how})"
    return f"connected to {_where(config)} ({how}); no login configured"


@contextlib.asynccontextmanager
async def _session(config: SmtpConfig) -> AsyncIterator[aiosmtplib.SMTP]:
    """A connected client, TLS and login done, that says QUIT when the block succeeds."""
    client = aiosmtplib.SMTP(hostname=config.host, port=config.port, timeout=config.timeout,
                             use_tls=config.security == "tls", start_tls=False, tls_context=_tls(config.ca_cert))
    try:
        await _open(client, config)
        yield client
        # The server has the message: a QUIT it fails to answer must not fail (and retry) the step.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise _classify(exc, config) from None
    finally:
        client.close()


async def _open(client: aiosmtplib.SMTP, config: SmtpConfig) -> None:
    await client.connect()
    await _ehlo(client)
    if config.security == "starttls":
        if not client.supports_extension("starttls"):
            raise StepError(f"{_where(config)} does not offer STARTTLS: set the connection's `security` to tls "
                            f"(usually port 465) or none", ErrorKind.SMTP)
        await client.starttls()
        await _ehlo(client)  # what the server said before TLS no longer counts (RFC 3207)
    if config.username:
        if not client.supports_extension("auth"):
            hint = ("servers offer it over TLS: set `security` to starttls or tls" if config.security == "none"
                    else "remove `username` if it needs none")
            raise StepError(f"{_where(config)} offers no login (SMTP AUTH); {hint}", ErrorKind.SMTP)
        await client.login(config.username, config.password or "")


async def _ehlo(client: aiosmtplib.SMTP) -> None:
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()


@functools.lru_cache(maxsize=16)
def _tls(ca_cert: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=ca_cert) if ca_cert else tls_context()


def _classify(exc: BaseException, config: SmtpConfig) -> StepError:
    where = _where(config)
    tls = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
    if isinstance(tls, ssl.SSLCertVerificationError):
        return StepError(f"TLS with {where} failed: {tls.verify_message}; if the server's certificate is "
                         f"self-signed or from its own authority, set the connection's `ca_cert`", ErrorKind.SMTP)
    if isinstance(tls, ssl.SSLError):
        return StepError(f"TLS with {where} failed: {tls.reason or tls}; is `security` right for port "
                         f"{config.port}? (tls is usually 465, starttls 587)", ErrorKind.SMTP)
    if isinstance(exc, TimeoutError):
        return StepError(f"{where} did not answer within {config.timeout:g}s", ErrorKind.TIMEOUT)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _refused(exc, where, config.username)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError | OSError):
        return StepError(f"could not reach {where}: {_reason(exc)}", ErrorKind.TRANSIENT)
    return StepError(f"{where}: {_reason(exc)}", ErrorKind.SMTP)


def _refused(exc: aiosmtplib.SMTPResponseException, where: str, username: str | None) -> StepError:
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        what = f"the recipient {exc.recipient}"
    elif isinstance(exc, aiosmtplib.SMTPSenderRefused):
        what = f"the sender {exc.sender}"
    elif isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        what = f"the login of {username} (check the connection's username and password)"
    elif isinstance(exc, aiosmtplib.SMTPDataError):
        what = "the message"
    else:
        what = "the connection"
    kind = ErrorKind.TRANSIENT if 400 <= exc.code < 500 else ErrorKind.SMTP
    return StepError(f"{where} refused {what}: {exc.code} {exc.message}", kind)


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    if isinstance(cause, OSError) and cause.errno:
        # asyncio words a refusal "Connect call failed (...)"; the errno's own name says more.
        return os.strerror(cause.errno) if cause.errno > 0 else cause.strerror or str(cause)
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _where(config: SmtpConfig) -> str:
    return f"{config.host}:{config.port}"


__all__ = ["Mail", "check", "compose", "send"]
