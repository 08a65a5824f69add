"""Settings of the archive service (environment variables ``JZ_*``)."""

from __future__ import annotations

from juanzong_shared.settings import Settings
from pydantic import Field

SERVICE = "archive"


class ServiceSettings(Settings):
    service_name: str = SERVICE
    data_dir: str | None = Field(None, description="Folder the service may use (development seal, backups).")
    service_urls: dict[str, str] = Field(default_factory=dict,
                                         description='JSON {"catalog": "http://…"}: base URLs of other services.')
    dev_client_secret: str = Field("juanzong-dev-client-secret",
                                   description="Client secret of the service client 'archive' (development).")
    archive_client_secret: str | None = Field(
        None, description="Client secret of the service client 'archive' at access-control; required in production.")
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

    @property
    def client_secret(self) -> str | None:
        if self.archive_client_secret:
            return self.archive_client_secret
        return None if self.environment == "production" else self.dev_client_secret
