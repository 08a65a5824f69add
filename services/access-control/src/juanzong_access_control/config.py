"""Settings of the access-control service (environment variables ``JZ_*``)."""

from __future__ import annotations

import re
from pathlib import Path

from juanzong_shared.settings import Settings
from pydantic import Field, ValidationInfo, field_validator

SERVICE = "access-control"
# The development seed's shared secret before issue 20 (every client had it); never accepted in production.
OLD_DEV_SECRET = "juanzong-dev-client-secret"
MIN_PRODUCTION_SECRET = 24
_CLIENT_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` is a development secret (unfit for production), or None."""
    if secret == OLD_DEV_SECRET or secret.startswith("juanzong-dev"):
        return "is the development secret"
    if len(secret) < MIN_PRODUCTION_SECRET:
        return f"is shorter than {MIN_PRODUCTION_SECRET} characters"
    return None


def read_secrets_dir(folder: str) -> dict[str, str]:
    """``<client_id>.secret`` files of ``folder`` (one line each) as {client_id: secret}."""
    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"{folder} is not a folder")
    found = {}
    for file in sorted(path.glob("*.secret")):
        if _CLIENT_ID.match(file.stem):
            secret = file.read_text().strip()
            if secret:
                found[file.stem] = secret
    return found


class ServiceSettings(Settings):
    service_name: str = SERVICE
    data_dir: str | None = Field(None, description="Folder the service may use (the development signing key).")
    access_signing_key_file: str | None = Field(
        None, description="PEM file of the RS256 signing key; required in production.")
    client_secrets: dict[str, str] = Field(
        default_factory=dict, description='JSON {"client_id": "secret"}: service and station client secrets.')
    client_secrets_dir: str | None = Field(
        None, description="Folder of <client_id>.secret files (one secret per client; the embedded stack's "
                          "var/secrets/clients). Production refuses a development secret or one under 24 characters.")
    password_grant: bool | None = Field(
        None, description="Allow grant_type=password; default: on outside production.")
    access_token_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(8 * 3600, ge=60, le=30 * 86_400)
    facts_cache_seconds: float = Field(2.0, ge=0, le=60,
                                       description="How long case facts and grants are reused between decisions.")
    invalidation_hold_seconds: float = Field(
        60.0, gt=0, le=3600, description="How long a replica keeps a case out of its cache while another replica "
                                         "applies a case event it was told of (until that is committed).")
    decision_max_age_seconds: int = Field(1, ge=0, le=30, description=(
        "Cache hint returned with each decision: how long a service may reuse it (a withdrawn permission reaches "
        "every service within this, plus the broadcast's delay)."))
    housekeeping_seconds: float = Field(30.0, gt=0, le=3600,
                                        description="Period of expiry, overdue and explanation checks.")
    seed_demo: bool | None = Field(None, description="Seed demo users; default: in development and test only.")
    # the audit chain's signed checkpoints in write-once storage (adapters.audit_chain.CheckpointSettings)
    audit_checkpoint_bucket: str = "juanzong-audit"
    audit_checkpoint_seconds: float = Field(60.0, description="Anchor at least this often while records are written.")
    audit_checkpoint_records: int = Field(1000, description="... and after this many records.")
    audit_checkpoint_retention_days: int = Field(3650, description="COMPLIANCE retention of each checkpoint.")
    audit_checkpoint_lookback_days: int = Field(400, description="How far back a starting replica looks.")
    # failed password logins (house settings; service_layer.identities.LoginLimits)
    login_max_failures: int = Field(5, description="Failures allowed per account within the window.")
    login_max_failures_per_address: int = Field(30, description="... per client address (0: no limit).")
    login_window_seconds: float = 300.0

    @field_validator("client_secrets")
    @classmethod
    def _no_dev_secret(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if info.data.get("environment") == "production":
            for client_id, secret in sorted(value.items()):
                if why := weak_secret(secret):
                    raise ValueError(f"the secret of client {client_id!r} {why}: refused in production")
        return value

    @field_validator("client_secrets_dir")
    @classmethod
    def _dir_without_dev_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        found = read_secrets_dir(value)
        if info.data.get("environment") == "production":
            for client_id, secret in found.items():
                if why := weak_secret(secret):
                    raise ValueError(f"{value}/{client_id}.secret {why}: refused in production")
        return value

    def load_client_secrets(self) -> dict[str, str]:
        """Every client's own secret: the folder's files, then ``JZ_CLIENT_SECRETS`` (which wins)."""
        found = read_secrets_dir(self.client_secrets_dir) if self.client_secrets_dir else {}
        return found | self.client_secrets

    @property
    def password_grant_enabled(self) -> bool:
        return self.password_grant if self.password_grant is not None else self.environment != "production"

    @property
    def seed_enabled(self) -> bool:
        if self.environment == "production":
            return False
        return self.seed_demo if self.seed_demo is not None else True
