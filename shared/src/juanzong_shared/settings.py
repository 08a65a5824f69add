"""Settings shared by every service, read from ``JZ_``-prefixed environment variables.

A service subclasses :class:`Settings` for its own fields and calls :func:`load_settings` at start-up;
a bad value stops the process with one line that names the variable and says what is wrong.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "JZ_"


class Settings(BaseSettings):
    """Common settings. Every field is the environment variable ``JZ_<FIELD NAME IN CAPITALS>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    service_name: str = Field("juanzong", description="Service name used in logs, metrics and queue names.")
    environment: Literal["development", "test", "production"] = "development"

    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", description="RabbitMQ URL.")
    bus_namespace: str = Field("juanzong", pattern=r"^[a-z][a-z0-9-]{0,30}$",
                               description="Prefix of the exchange and queue names (juanzong.events, juanzong.<service>).")
    bus_prefetch: int = Field(32, ge=1, le=10_000, description="Consumer prefetch (unacked messages).")
    bus_max_attempts: int = Field(5, ge=1, le=100, description="Handling attempts before dead-lettering.")
    bus_retry_delays_ms: Annotated[list[int], NoDecode] = Field(
        default=[500, 2_000, 10_000, 30_000],
        description="Back-off delay per retry level in milliseconds (comma-separated).",
    )
    outbox_poll_seconds: float = Field(1.0, gt=0, le=60)
    outbox_retention_days: float = Field(7.0, ge=0, le=3650, description=(
        "Published outbox entries older than this are deleted (0: kept for ever). Every event is on the bus and "
        "in its consumers' records by then; the outbox only has to hold what is not yet published."))

    mongo_url: str = Field("mongodb://127.0.0.1:27027", description="MongoDB URL.")
    mongo_db: str | None = Field(None, description="Database name; default juanzong_<service>.")

    s3_endpoint: str = Field("127.0.0.1:8333", description="S3 endpoint host:port.")
    s3_access_key: str = "juanzong"
    s3_secret_key: str = "juanzong-dev-secret"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    startup_timeout_seconds: float = Field(60.0, gt=0, description="How long to wait for broker, database and storage.")
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    public_base_url: str | None = Field(None, description="Base URL users reach this service at.")
    max_request_bytes: int = Field(50 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    cors_origins: Annotated[list[str], NoDecode] = Field(default=[], description="Allowed CORS origins; off when empty.")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    jwt_jwks_url: str | None = Field(None, description="JWKS URL of the token issuer (access-control).")
    jwt_public_key_file: str | None = Field(None, description="PEM public key file, instead of a JWKS URL.")
    jwt_issuer: str = "juanzong-access-control"
    jwt_audience: str = "juanzong"
    jwt_leeway_seconds: int = Field(30, ge=0, le=300, description=(
        "Clock skew tolerated between the token issuer and this service (expiry; and how long after this process "
        "began hearing revocations a token's issue time must lie to be trusted without asking access-control)."))
    auth_required: bool = Field(True, description="Require a bearer token on business endpoints.")
    access_control_url: str | None = Field(None, description="Base URL of access-control (decisions).")

    @field_validator("bus_retry_delays_ms", mode="before")
    @classmethod
    def _split_ints(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp_scheme(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://")):
            raise ValueError("must start with amqp:// or amqps://")
        return value

    @field_validator("mongo_url")
    @classmethod
    def _mongo_scheme(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("s3_endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if "://" in value or "/" in value:
            raise ValueError("must be host:port without a scheme or path (use JZ_S3_SECURE for TLS)")
        return value

    @property
    def exchange(self) -> str:
        return f"{self.bus_namespace}.events"

    @property
    def database_name(self) -> str:
        return self.mongo_db or "juanzong_" + self.service_name.replace("-", "_")


class SettingsError(SystemExit):
    """Raised at start-up when a setting is invalid; its message is one line naming the variable."""


S = TypeVar("S", bound=Settings)


def describe_error(error: ValidationError, prefix: str = ENV_PREFIX) -> str:
    parts = []
    for item in error.errors():
        name = prefix + "_".join(str(p) for p in item["loc"]).upper() if item["loc"] else prefix
        parts.append(f"{name}: {item['msg']}")
    return "invalid setting " + "; ".join(parts)


def load_settings(cls: type[S] = Settings, **overrides: Any) -> S:  # type: ignore[assignment]
    """Read and validate settings; on error exit with one line that names the bad variable."""
    try:
        return cls(**overrides)
    except ValidationError as error:
        message = describe_error(error)
        print(message, file=sys.stderr)
        raise SettingsError(message) from None
