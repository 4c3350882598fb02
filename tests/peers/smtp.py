"""A real SMTP server on loopback (aiosmtpd), for `email` steps, `send` on email and the
smtp connection's check.

    with smtp_server("starttls", users={"ada": "s3cret"}) as peer:
        connection = Connection.parse("smtp", "smtp", peer.settings(username="ada", password="s3cret"))
        peer.reply("RCPT", "451 4.7.1 Try again later")           # the next RCPT only
        peer.reply("RCPT", "550 5.1.1 No such user", times=None)  # every RCPT from now on
        peer.reply("RCPT", "550 5.1.1 No such user", address="nobody@example.org")
        peer.received[0].message["Subject"]                        # what was delivered

`security` is `none`, `starttls` (the server refuses mail before STARTTLS) or `tls` (TLS
from the first byte). TLS uses a self-signed certificate for 127.0.0.1 made with
`cryptography`; `peer.ca_cert` is its PEM, which the client trusts through the connection's
`ca_cert`. With `users`, the server offers AUTH PLAIN and LOGIN, checks the password and
refuses mail from a client that has not logged in (with `starttls`, AUTH only after STARTTLS;
aiosmtpd does not count implicit TLS as TLS, so with `tls` and `none` it takes AUTH at once).
aiosmtpd runs its own event loop in a thread; `Controller.start` returns once the server
answers a connection, so a test never waits for it by sleeping.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import ipaddress
import ssl
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Security = Literal["none", "starttls", "tls"]
HOST = "127.0.0.1"
SENDER = "Loomwork <loom@example.org>"


@dataclass
class Received:
    """One message the server accepted: the envelope, the message (parsed, and as it came over
    the wire), who logged in, and whether it came over TLS."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes
    login: str | None
    tls: bool


@dataclass
class _Rule:
    command: str
    answer: str
    times: int | None
    address: str | None


@dataclass
class SmtpPeer:
    security: Security
    port: int = 0
    ca_cert: str | None = None
    received: list[Received] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    """Every MAIL, RCPT and DATA the server was sent, in order (`RCPT ada@example.org`)."""
    _script: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    host = HOST

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Settings of an smtp connection to this server, for `Connection.parse`."""
        base = {"host": HOST, "port": self.port, "security": self.security, "from": SENDER, "timeout": 5}
        if self.ca_cert:
            base["ca_cert"] = self.ca_cert
        return {**base, **overrides}

    def reply(self, command: Literal["MAIL", "RCPT", "DATA"], answer: str, times: int | None = 1,
              address: str | None = None) -> None:
        """Answer the next `times` `command`s (every one, with None), or only those naming `address`,
        with `answer`, e.g. "451 4.7.1 Try again later"."""
        with self._lock:
            self._script.append(_Rule(command, answer, times, address))

    def scripted(self, command: str, address: str | None = None) -> str | None:
        with self._lock:
            rule = next((r for r in self._script if r.command == command and r.address in (None, address)), None)
            if rule is None:
                return None
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._script.remove(rule)
            return rule.answer


class _Handler:
    """aiosmtpd's hooks: record each command, answer as scripted, keep what was delivered."""

    def __init__(self, peer: SmtpPeer):
        self.peer = peer

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.peer.commands.append(f"MAIL {address}")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return self.peer.scripted("MAIL", address) or "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.peer.commands.append(f"RCPT {address}")
        answer = self.peer.scripted("RCPT", address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peer.commands.append("DATA")
        answer = self.peer.scripted("DATA")
        if answer:
            return answer
        raw = envelope.original_content
        # Parsed as a mail client reads it: the wire's CRLF line ends become newlines.
        message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        tls = server.transport.get_extra_info("sslcontext") is not None
        self.peer.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw, login, tls))
        return "250 Message accepted"


def _authenticator(users: Mapping[str, str]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and users.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, auth_data=data if ok else None, handled=False)

    return check


class _Controller(Controller):
    """Listens on a free port (aiosmtpd's Controller would connect to the port it was given)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self) -> Any:
        # aiosmtpd counts only STARTTLS as TLS, so AUTH over implicit TLS means `auth_require_tls=False`,
        # about which it warns.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()


@contextmanager
def smtp_server(security: Security = "none", users: Mapping[str, str] | None = None) -> Iterator[SmtpPeer]:
    peer = SmtpPeer(security)
    with tempfile.TemporaryDirectory() as folder:
        tls = _server_context(Path(folder)) if security != "none" else None
        auth: dict[str, Any] = {}
        if users:
            auth = {"authenticator": _authenticator(users), "auth_required": True,
                    "auth_require_tls": security == "starttls"}
        starttls: dict[str, Any] = {"tls_context": tls, "require_starttls": True} if security == "starttls" else {}
        controller = _Controller(_Handler(peer), hostname=HOST, port=0, server_hostname="localhost",
                                 ssl_context=tls if security == "tls" else None, **starttls, **auth)
        controller.start()
        peer.port = controller.port
        peer.ca_cert = _certificate()[0].decode() if tls else None
        try:
            yield peer
        finally:
            controller.stop()


def _server_context(folder: Path) -> ssl.SSLContext:
    cert, key = _certificate()
    (folder / "cert.pem").write_bytes(cert)
    (folder / "key.pem").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@functools.cache
def _certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate (its own CA) for 127.0.0.1 and localhost, and its key, as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loomwork test smtp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
