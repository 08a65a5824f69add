"""Settings of the access-control service (environment variables ``JZ_*``)."""

from __future__ import annotations

from juanzong_shared.settings import Settings
from pydantic import Field

SERVICE = "access-control"


class ServiceSettings(Settings):
    service_name: str = SERVICE
    data_dir: str | None = Field(None, description="Folder the service may use (the development signing key).")
    access_signing_key_file: str | None = Field(
        None, description="PEM file of the RS256 signing key; required in production.")
    dev_client_secret: str = Field("juanzong-dev-client-secret",
                                   description="Secret of every seeded service and station client (development).")
    client_secrets: dict[str, str] = Field(
        default_factory=dict, description='JSON {"client_id": "secret"}: service/station secrets (production).')
    password_grant: bool | None = Field(
        None, description="Allow grant_type=password; default: on outside production.")
    access_token_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(8 * 3600, ge=60, le=30 * 86_400)
    facts_cache_seconds: float = Field(2.0, ge=0, le=60,
                                       description="How long case facts and grants are reused between decisions.")
    invalidation_hold_seconds: float = Field(
        60.0, gt=0, le=3600, description="How long a replica keeps a case out of its cache while another replica "
                                         "applies a case event it was told of (until that is committed).")
    decision_max_age_seconds: int = Field(5, ge=0, le=30, description="Cache hint returned with each decision.")
    housekeeping_seconds: float = Field(30.0, gt=0, le=3600,
                                        description="Period of expiry, overdue and explanation checks.")
    seed_demo: bool | None = Field(None, description="Seed demo users; default: in development and test only.")

    @property
    def password_grant_enabled(self) -> bool:
        return self.password_grant if self.password_grant is not None else self.environment != "production"

    @property
    def seed_enabled(self) -> bool:
        if self.environment == "production":
            return False
        return self.seed_demo if self.seed_demo is not None else True
