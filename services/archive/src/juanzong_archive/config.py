"""Settings of the archive service (environment variables ``JZ_*``)."""

from __future__ import annotations

from pathlib import Path

from juanzong_shared.settings import Settings
from pydantic import Field, ValidationInfo, field_validator

SERVICE = "archive"
# The development seed's shared secret before issue 20; never accepted in production.
OLD_DEV_SECRET = "juanzong-dev-client-secret"
MIN_PRODUCTION_SECRET = 24


def _check_secret(secret: str, info: ValidationInfo) -> None:
    if not secret:
        raise ValueError("is empty")
    if info.data.get("environment") != "production":
        return
    if secret == OLD_DEV_SECRET or secret.startswith("juanzong-dev"):
        raise ValueError("is the development secret: refused in production")
    if len(secret) < MIN_PRODUCTION_SECRET:
        raise ValueError(f"is shorter than {MIN_PRODUCTION_SECRET} characters: refused in production")


class ServiceSettings(Settings):
    service_name: str = SERVICE
    data_dir: str | None = Field(None, description="Folder the service may use (development seal, backups).")
    service_urls: dict[str, str] = Field(default_factory=dict,
                                         description='JSON {"catalog": "http://…"}: base URLs of other services.')
    client_id: str = Field("archive", description="This service's client at access-control.")
    client_secret_file: str | None = Field(
        None, description="File holding this service's client secret (one line; the embedded stack's "
                          "var/secrets/clients/archive.secret).")
    archive_client_secret: str | None = Field(
        None, description="Client secret of the service client 'archive' at access-control (instead of the file); "
                          "one of the two is required. Production refuses a development secret or one under 24 "
                          "characters.")
    archive_seal_p12_file: str | None = Field(None, description="PKCS#12 bundle of the court e-seal (production).")
    archive_seal_p12_password: str | None = Field(None, description="Password of the seal bundle.")
    archive_trust_roots_file: str | None = Field(
        None, description="PEM file of the CA certificates seals are verified against (default: the seal's CA).")
    archive_court_name: str = Field("吉林省长春市中级人民法院",
                                    description="Name of this court (seal location, development seal subject).")
    archive_courts: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {"吉01": {"name": "吉林省长春市中级人民法院", "fonds_code": "J011"}},
        description='JSON {"法院代字": {"name": "…", "fonds_code": "全宗号"}} for the 档号 (development default).')
    archive_retention_days: dict[str, int] = Field(
        default_factory=lambda: {"永久": 36500, "长期": 10950, "短期": 3650},
        description="Object-lock retention (days) of stored packages per 保管期限.")
    archive_fixity_interval_seconds: float = Field(
        86400.0, ge=0, description="Period of the scheduled fixity audit over stored archives; 0 turns it off.")
    archive_fixity_batch: int = Field(20, ge=1, le=10_000, description="Archives audited per round.")
    archive_backup_dir: str | None = Field(None, description="Offline backup folder (default JZ_DATA_DIR/backups).")
    archive_clamscan: str = Field("clamscan", description="ClamAV scanner executable (skipped when absent).")
    archive_clamav_database: str | None = Field(None, description="ClamAV signature database (file or folder).")
    archive_work_dir: str | None = Field(None, description="Scratch folder for conversions (default: system temp).")
    archive_download_concurrency: int = Field(8, ge=1, le=64, description="Page downloads in parallel.")

    @property
    def catalog_url(self) -> str | None:
        return self.service_urls.get("catalog")

    @property
    def token_url(self) -> str | None:
        base = self.access_control_url or self.service_urls.get("access-control")
        return base.rstrip("/") + "/v1/token" if base else None

    @field_validator("archive_client_secret")
    @classmethod
    def _secret_fit(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _check_secret(value.strip(), info)
        return value

    @field_validator("client_secret_file")
    @classmethod
    def _secret_file_fit(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                secret = Path(value).read_text().strip()
            except OSError as error:
                raise ValueError(f"cannot read {value}: {error.strerror}") from None
            _check_secret(secret, info)
        return value

    @property
    def client_secret(self) -> str | None:
        """This service's own client secret (the variable, else the file); None when neither is set."""
        if self.archive_client_secret:
            return self.archive_client_secret.strip()
        if self.client_secret_file:
            return Path(self.client_secret_file).read_text().strip() or None
        return None
