"""The embedded stack's secrets: one random secret per client, per station and per store user, made at the
first ``up`` and kept under ``<data_dir>/secrets`` (folders 0700, files 0600) across restarts.

    secrets/clients/<client_id>.secret      access-control client secret (one line)
    secrets/stations/<station_id>.json      everything a scanning station needs (the station CLI's --credentials)
    secrets/s3/<identity>.json              SeaweedFS S3 access and secret key of one identity
    secrets/broker/<station_id>.password    the station's RabbitMQ password
    secrets/mongo/<user>.password           SecantusDB password of the stack's admin and of each service
    secrets/seaweedfs/security.toml         SeaweedFS JWT signing keys (volume and filer)
    secrets/seaweedfs/s3.json               SeaweedFS S3 identities (-s3.config)

A service process gets only its own client secret (``JZ_CLIENT_ID`` + ``JZ_CLIENT_SECRET_FILE``);
access-control gets the clients folder to register them.
"""

from __future__ import annotations

import json
import os
import re
import secrets as random
from pathlib import Path
from typing import Any

SERVICE_CLIENTS: tuple[str, ...] = ("intake", "scan-ocr", "catalog", "archive", "notifier")
STATIONS: tuple[str, ...] = ("station-01",)
CLIENTS: tuple[str, ...] = (*SERVICE_CLIENTS, *STATIONS)
STATIONS_BUCKET = "juanzong-stations"
STATION_COURT = "吉01"
ADMIN_IDENTITY = "juanzong-admin"  # the stack's own S3 identity (readiness probe, bucket creation)
# secrets of the development seed before issue 20; a production start refuses them
OLD_DEV_SECRETS = frozenset({"juanzong-dev-client-secret", "juanzong-dev-secret"})
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (created 0600, never world-readable on the way)."""
    _private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def new_secret() -> str:
    return random.token_hex(32)  # 64 hex digits, 256 bits (never a leading "-", which rabbitmqctl takes for an option)


class StackSecrets:
    """The secrets folder of one stack; every getter makes what is missing and keeps what is there."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "secrets"

    def _name(self, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"not a client, station or identity name: {name!r}")
        return name

    def ensure_all(self) -> None:
        for client in CLIENTS:
            self.client_secret(client)
        for station in STATIONS:
            self.broker_password(station)
            self.s3_keys(station)
        for identity in (ADMIN_IDENTITY, *self.service_identities()):
            self.s3_keys(identity)
        self.jwt_keys()

    # -- clients ----------------------------------------------------------------------------------
    @property
    def clients_dir(self) -> Path:
        return self.root / "clients"

    def client_secret_file(self, client_id: str) -> Path:
        path = self.clients_dir / f"{self._name(client_id)}.secret"
        if not path.exists():
            _private_dir(self.root)
            _write_private(path, new_secret() + "\n")
        return path

    def client_secret(self, client_id: str) -> str:
        return self.client_secret_file(client_id).read_text().strip()

    # -- broker -----------------------------------------------------------------------------------
    def broker_password(self, station_id: str) -> str:
        path = self.root / "broker" / f"{self._name(station_id)}.password"
        if not path.exists():
            _write_private(path, new_secret() + "\n")
        return path.read_text().strip()

    # -- database ---------------------------------------------------------------------------------
    def db_password(self, user: str) -> str:
        path = self.root / "mongo" / f"{self._name(user)}.password"
        if not path.exists():
            _write_private(path, new_secret() + "\n")
        return path.read_text().strip()

    # -- object storage ---------------------------------------------------------------------------
    @staticmethod
    def service_identities() -> tuple[str, ...]:
        from juanzong_devstack.stack import SERVICES
        return tuple(f"svc-{name}" for name in SERVICES)

    def s3_keys(self, identity: str) -> tuple[str, str]:
        path = self.root / "s3" / f"{self._name(identity)}.json"
        if not path.exists():
            # access keys are not secret but must be unique; 20 upper-case characters like AWS's
            access = identity.upper().replace("-", "")[:8] + random.token_hex(6).upper()
            _write_private(path, json.dumps({"access_key": access, "secret_key": new_secret()}))
        keys = json.loads(path.read_text())
        return keys["access_key"], keys["secret_key"]

    def s3_config(self) -> dict[str, Any]:
        """SeaweedFS ``-s3.config``: the stack's admin, one identity per service, one per station limited to
        writing (and reading back) its own prefix of the stations bucket."""
        def identity(name: str, actions: list[str]) -> dict[str, Any]:
            access, secret = self.s3_keys(name)
            return {"name": name, "credentials": [{"accessKey": access, "secretKey": secret}], "actions": actions}

        identities = [identity(ADMIN_IDENTITY, ["Admin", "Read", "Write", "List", "Tagging"])]
        # services create their buckets at start-up (Admin) and own their objects
        identities += [identity(name, ["Admin", "Read", "Write", "List", "Tagging"])
                       for name in self.service_identities()]
        for station in STATIONS:
            prefix = f"{STATIONS_BUCKET}/{station}/"
            identities.append(identity(station, [f"Write:{prefix}*", f"Read:{prefix}*", f"List:{prefix}*"]))
        return {"identities": identities}

    # -- SeaweedFS JWT ----------------------------------------------------------------------------
    def jwt_keys(self) -> dict[str, str]:
        path = self.root / "seaweedfs" / "jwt.json"
        if not path.exists():
            _write_private(path, json.dumps({k: new_secret() for k in
                                             ("signing", "signing_read", "filer_signing", "filer_signing_read")}))
        return json.loads(path.read_text())

    def seaweedfs_dir(self) -> Path:
        """The folder SeaweedFS runs in: it reads ``./security.toml`` from its working folder."""
        keys = self.jwt_keys()
        toml = "\n".join([
            "# written by the embedded stack: volume and filer accept only requests signed with these keys",
            "[jwt.signing]", f'key = "{keys["signing"]}"', "expires_after_seconds = 10", "",
            "[jwt.signing.read]", f'key = "{keys["signing_read"]}"', "expires_after_seconds = 10", "",
            "[jwt.filer_signing]", f'key = "{keys["filer_signing"]}"', "expires_after_seconds = 10", "",
            "[jwt.filer_signing.read]", f'key = "{keys["filer_signing_read"]}"', "expires_after_seconds = 10", "",
            "[access]", "ui = false", "",
            "[filer.expose_directory_metadata]", "enabled = false", "",
        ])
        folder = _private_dir(self.root / "seaweedfs")
        _write_private(folder / "security.toml", toml)
        _write_private(folder / "s3.json", json.dumps(self.s3_config()))
        return folder

    # -- stations ---------------------------------------------------------------------------------
    def station_file(self, station_id: str) -> Path:
        return self.root / "stations" / f"{self._name(station_id)}.json"

    def write_station(self, station_id: str, values: dict[str, Any]) -> Path:
        path = self.station_file(station_id)
        _write_private(path, json.dumps(values, ensure_ascii=False, indent=2) + "\n")
        return path
