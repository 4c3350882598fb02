"""The "Test" action of an smtp connection, against a real SMTP server on loopback: it says
what worked, or raises ConnectionCheckFailed saying what did not (never the password)."""

from __future__ import annotations

import socket

import pytest

from engine.connections import Connection, ConnectionCheckFailed, ConnectionInvalid, check
from tests.peers.smtp import SmtpPeer, smtp_server

USERS = {"ada": "correct horse battery"}


def connection(peer: SmtpPeer, **settings: object) -> Connection:
    return Connection.parse("outbox", "smtp", peer.settings(**settings))


async def test_plain_without_login():
    with smtp_server() as peer:
        said = await check(connection(peer))
    assert said == f"connected to 127.0.0.1:{peer.port} (no encryption); no login configured"
    assert peer.commands == [], "a check sends no mail"


@pytest.mark.parametrize(("security", "shown"), [("starttls", "STARTTLS"), ("tls", "TLS")])
async def test_tls_and_login(security, shown):
    with smtp_server(security, users=USERS) as peer:
        said = await check(connection(peer, username="ada", password=USERS["ada"]))
    assert said == f"logged in to 127.0.0.1:{peer.port} as ada ({shown})"


async def test_a_wrong_password_says_so_without_the_password():
    with smtp_server("starttls", users=USERS) as peer, pytest.raises(ConnectionCheckFailed) as failed:
        await check(connection(peer, username="ada", password="hunter2-wrong"))
    message = str(failed.value)
    assert message.startswith(f"connection 'outbox': 127.0.0.1:{peer.port} refused the login of ada")
    assert "535 5.7.8" in message and "hunter2" not in message


async def test_an_untrusted_certificate_is_refused_and_says_how_to_trust_it():
    with smtp_server("starttls") as peer, pytest.raises(ConnectionCheckFailed) as failed:
        await check(connection(peer, ca_cert=None))
    assert "TLS with 127.0.0.1" in str(failed.value) and "certificate" in str(failed.value)
    assert "`ca_cert`" in str(failed.value)


async def test_starttls_is_required_when_configured():
    with smtp_server("none") as peer, pytest.raises(ConnectionCheckFailed) as failed:
        await check(connection(peer, security="starttls"))
    assert "STARTTLS" in str(failed.value)


async def test_a_login_the_server_does_not_offer_is_a_clear_failure():
    with smtp_server("none") as peer, pytest.raises(ConnectionCheckFailed) as failed:
        await check(connection(peer, username="ada", password="x"))
    assert "AUTH" in str(failed.value)


async def test_nothing_listening():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        config = Connection.parse("outbox", "smtp", {"host": "127.0.0.1", "port": port, "security": "none",
                                                      "from": "loom@example.org", "timeout": 5})
        with pytest.raises(ConnectionCheckFailed) as failed:
            await check(config)
    assert str(failed.value).startswith(f"connection 'outbox': could not reach 127.0.0.1:{port}")


def test_the_sender_and_the_ca_certificate_are_checked_when_the_connection_is_added():
    with pytest.raises(ConnectionInvalid, match=r"from: .*'loom@' is not an email address"):
        Connection.parse("outbox", "smtp", {"host": "mail.example.org", "from": "loom@"})
    with pytest.raises(ConnectionInvalid, match=r"ca_cert: .*not a PEM certificate"):
        Connection.parse("outbox", "smtp", {"host": "mail.example.org", "from": "loom@example.org",
                                            "ca_cert": "-----BEGIN CERTIFICATE-----\nnope\n"})
