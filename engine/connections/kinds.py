"""The kinds of connection an operator configures, and what each one holds.

A connection is a named set of settings for one outside party (a mail server, a database,
a bucket, an HTTP API, an MCP server), configured by the operator and named by workflows.
Each kind is a pydantic model, so a connection is checked when it is added, with errors that
name the field. Fields marked `secret` are never shown, logged or traced: `Connection.summary`
leaves them out and `Connection.secret_values` feeds the run's scrubber.
"""

from __future__ import annotations

import ssl
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..connectors.addresses import parse_address
from ..language.base import LoomModel

Kind = Literal["smtp", "sql", "s3", "http", "mcp"]


def secret(description: str, **kwargs: Any) -> Any:
    """A field whose value is a credential: marked for the scrubber, and left out of `repr`
    so a connection printed in a log or a traceback shows no credential."""
    return Field(description=description, json_schema_extra={"secret": True}, repr=False, **kwargs)


class ConnectionConfig(LoomModel):
    kind: ClassVar[str]

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        return frozenset(name for name, f in cls.model_fields.items()
                         if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("secret"))

    def summary(self) -> str:
        """Where the connection points, without credentials: shown in lists and the UI."""
        return ""


class SmtpConfig(ConnectionConfig):
    kind: ClassVar[str] = "smtp"

    host: str = Field(description="The mail server's host name.", min_length=1)
    port: int = Field(587, description="Its port: 587 for STARTTLS, 465 for TLS, 25 for none.", ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field("starttls", description="How the connection is encrypted.")
    username: str | None = Field(None, description="Login name; no login when unset.")
    password: str | None = secret("Login password.", default=None)
    sender: str = Field(description="The From address of every message.", min_length=3, alias="from")
    timeout: float = Field(30.0, description="Seconds to wait for the server.", gt=0, le=600)
    ca_cert: str | None = Field(
        None, description="PEM certificate(s) to trust for this server instead of the public CAs: a private CA "
        "or a self-signed relay. The server's certificate is always verified.")

    @field_validator("sender")
    @classmethod
    def _is_address(cls, value: str) -> str:
        parse_address(value)  # InvalidAddress is a ValueError: its message names the text
        return value

    @field_validator("ca_cert")
    @classmethod
    def _is_pem(cls, value: str | None) -> str | None:
        # Checked when the connection is added, not at the first message it should have sent.
        if value is None:
            return None
        try:
            ssl.create_default_context(cadata=value or "-")
        except ssl.SSLError:
            raise ValueError("not a PEM certificate: paste it from -----BEGIN CERTIFICATE----- to "
                             "-----END CERTIFICATE-----") from None
        return value

    def summary(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


class SqlConfig(ConnectionConfig):
    kind: ClassVar[str] = "sql"

    url: str = secret("A SQLAlchemy database URL, e.g. postgresql+psycopg://user:pass@host/db.", min_length=1)

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL: write it as dialect+driver://user:password@host/database") from None
        return value

    def summary(self) -> str:
        from sqlalchemy.engine import URL, make_url

        url = make_url(self.url)  # rebuilt without password and query, which may carry credentials
        bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
        return bare.render_as_string(hide_password=False)


class S3Config(ConnectionConfig):
    kind: ClassVar[str] = "s3"

    bucket: str = Field(description="The bucket.", min_length=3, max_length=63)
    endpoint_url: str | None = Field(None, description="The S3-compatible endpoint (R2, MinIO); AWS when unset.")
    region: str | None = Field(None, description="The region, e.g. eu-central-1 (`auto` for R2).")
    access_key_id: str = secret("The access key id.", min_length=1)
    secret_access_key: str = secret("The secret access key.", min_length=1)
    prefix: str = Field("", description="A folder in the bucket every path is under.")

    def summary(self) -> str:
        where = self.endpoint_url or "AWS S3"
        return f"{where} bucket {self.bucket}" + (f"/{self.prefix}" if self.prefix else "")


class HttpConfig(ConnectionConfig):
    kind: ClassVar[str] = "http"

    base_url: str = Field(description="The API's base URL.", pattern=r"^https?://")
    header: str = Field("Authorization", description="The header that carries the credential.",
                        pattern=r"^[A-Za-z0-9-]+$")
    value: str | None = secret("The header's value, e.g. `Bearer <token>`.", default=None)

    def summary(self) -> str:
        return self.base_url


class McpConfig(ConnectionConfig):
    kind: ClassVar[str] = "mcp"

    url: str = Field(description="The MCP server's streamable HTTP endpoint.", pattern=r"^https?://")
    header: str = Field("Authorization", description="The header that carries the credential.",
                        pattern=r"^[A-Za-z0-9-]+$")
    value: str | None = secret("The header's value, e.g. `Bearer <token>`.", default=None)

    def summary(self) -> str:
        return self.url


KINDS: dict[str, type[ConnectionConfig]] = {
    cls.kind: cls for cls in (SmtpConfig, SqlConfig, S3Config, HttpConfig, McpConfig)
}
