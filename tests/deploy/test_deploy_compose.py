"""docker-compose.yml, read offline: the official images, the services built from the one Dockerfile,
health-gated start order, one environment block, volumes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"

SERVICES = ("intake", "scan-ocr", "catalog", "archive", "access-control", "notifier")
HOST_PORTS = {
    "intake": 8101,
    "scan-ocr": 8102,
    "catalog": 8103,
    "archive": 8104,
    "access-control": 8105,
    "notifier": 8106,
}
WORKER = "scan-ocr-worker"
INFRA = {"rabbitmq": "rabbitmq", "mongo": "mongo", "minio": "minio/minio"}
COMMON_SETTINGS = {
    "JZ_AMQP_URL",
    "JZ_S3_ENDPOINT",
    "JZ_S3_SECURE",
    "JZ_LOG_LEVEL",
    "JZ_JWT_JWKS_URL",
    "JZ_JWT_ISSUER",
    "JZ_JWT_AUDIENCE",
    "JZ_ACCESS_CONTROL_URL",
}
OWN_SETTINGS = {"JZ_MONGO_URL", "JZ_S3_ACCESS_KEY", "JZ_S3_SECRET_KEY"}  # each service's own credentials
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with the environment empty: the defaults."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", str(value))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def image_name(image: str) -> tuple[str, str]:
    name, _, tag = image.partition(":")
    return name, tag


def command_text(value) -> str:
    return " ".join(value) if isinstance(value, list) else str(value or "")


def test_infrastructure_uses_the_official_images(services):
    assert image_name(services["rabbitmq"]["image"]) == ("rabbitmq", "3.13-management")
    assert image_name(services["mongo"]["image"]) == ("mongo", "7")
    minio, minio_tag = image_name(services["minio"]["image"])
    assert minio == "minio/minio" and minio_tag not in ("", "latest")
    mc, mc_tag = image_name(services["minio-init"]["image"])
    assert mc == "minio/mc" and mc_tag not in ("", "latest")
    for name in INFRA:
        assert "build" not in services[name], f"{name} must run the official image, not a local build"


def test_every_service_and_the_worker_is_built_from_the_one_dockerfile(services):
    for name in SERVICES + (WORKER,):
        assert name in services, f"{name} missing from docker-compose.yml"
        svc_dir = "scan-ocr" if name == WORKER else name
        build = services[name]["build"]
        context = (REPO / build["context"]).resolve()
        assert context == REPO, f"{name}: the build context must be the workspace root"
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        assert dockerfile == REPO / "Dockerfile", f"{name}: built from {dockerfile}"
        assert build.get("args") == {"SERVICE": svc_dir}, f"{name}: build args {build.get('args')}"
        assert "target" not in build, f"{name}: SERVICE chooses the stage; a target would bypass it"
        assert "--package juanzong-${SERVICE}" in dockerfile.read_text(encoding="utf-8")
        assert services[name]["image"].split(":")[0] == f"juanzong/{svc_dir}", f"{name}: image name"


def test_worker_runs_the_ocr_worker_module_without_a_host_port(services):
    worker = services[WORKER]
    assert command_text(worker["command"]).split() == ["python", "-m", "juanzong_scan_ocr.entrypoints.worker"]
    assert not worker.get("ports"), "workers are scaled; a fixed host port would collide"
    assert "9100" in command_text(worker["healthcheck"]["test"])
    assert "/healthz" not in command_text(worker["healthcheck"]["test"]), "the worker has no HTTP API"


def test_services_publish_8101_to_8106(services):
    for name, host_port in HOST_PORTS.items():
        published = []
        for mapping in services[name]["ports"]:
            parts = str(mapping).split(":")
            published.append((int(parts[-2]), int(parts[-1])))
        assert (host_port, 8000) in published, f"{name} must publish {host_port}->8000, got {published}"


def test_every_long_running_service_has_a_health_check(services):
    for name, svc in services.items():
        if name in ("minio-init", "mongo-init", "dev-secrets"):  # one-shot jobs
            continue
        check = svc.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no health check"
        test = command_text(check["test"])
        assert test.split()[0] in ("CMD", "CMD-SHELL"), name
        if name in SERVICES:
            assert "python" in test and re.search(r"/(healthz|readyz)\b", test), name
            assert "curl" not in test and "wget" not in test, f"{name}: the images have no curl"


def test_services_wait_for_healthy_infrastructure(services):
    for name in SERVICES + (WORKER,):
        depends = services[name]["depends_on"]
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for infra in INFRA:
            assert depends.get(infra, {}).get("condition") == "service_healthy", f"{name} -> {infra}"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
    for name in ("archive", "access-control"):
        assert services[name]["depends_on"]["dev-secrets"]["condition"] == "service_completed_successfully"
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"


def test_mongo_is_a_replica_set_initiated_by_its_health_check(services):
    mongo = services["mongo"]
    command = command_text(mongo["command"]).split()
    assert command[command.index("--replSet") + 1] == "rs0"
    check = command_text(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "_id: 'rs0'" in check and "mongo:27017" in check
    assert "isWritablePrimary" in check, "healthy only once the member is primary"


def test_archive_bucket_is_created_with_object_lock(compose, services):
    script = command_text(services["minio-init"]["command"])
    lock_lines = [line for line in script.splitlines() if " mb " in f" {line} " and "--with-lock" in line]
    assert any(line.rstrip().endswith("/juanzong-archive") for line in lock_lines), script
    archive_env = services["archive"]["environment"]
    assert archive_env["JZ_ARCHIVE_BUCKET"] == "juanzong-archive"
    # The init job logs in as MinIO's administrator, whose keys no service gets.
    init_env = services["minio-init"]["environment"]
    assert interpolate(init_env["MINIO_ROOT_USER"]) == interpolate(services["minio"]["environment"]["MINIO_ROOT_USER"])
    for name in SERVICES + (WORKER,):
        env = services[name]["environment"]
        assert interpolate(env["JZ_S3_ACCESS_KEY"]) != interpolate(init_env["MINIO_ROOT_USER"]), name


def test_the_env_anchor_holds_the_jz_settings_and_every_service_gets_it(compose, services):
    env = compose["x-juanzong-env"]
    missing = COMMON_SETTINGS - set(env)
    assert not missing, f"x-juanzong-env lacks {sorted(missing)}"
    assert all(key.startswith("JZ_") for key in env)
    assert not OWN_SETTINGS & set(env), "credentials are each service's own, not shared in the anchor"
    assert re.fullmatch(r"amqp://[^:]+:[^@]+@rabbitmq:5672/", interpolate(env["JZ_AMQP_URL"]))
    assert env["JZ_S3_ENDPOINT"] == "minio:9000" and env["JZ_S3_SECURE"] in ("false", False)
    assert env["JZ_JWT_JWKS_URL"] == "http://access-control:8000/.well-known/jwks.json"
    assert env["JZ_ACCESS_CONTROL_URL"] == "http://access-control:8000"
    assert env["JZ_JWT_AUDIENCE"] == "juanzong"
    raw = COMPOSE.read_text(encoding="utf-8")
    assert raw.count("&juanzong-env") == 1, "one anchor for the environment"
    for name in SERVICES + (WORKER,):
        svc_env = services[name]["environment"]
        assert isinstance(svc_env, dict), name
        for key in env:
            assert svc_env.get(key) == env[key], f"{name} does not take {key} from x-juanzong-env"
        if name != WORKER:
            assert svc_env["JZ_PUBLIC_BASE_URL"].endswith(f":{HOST_PORTS[name]}")
    assert services["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_USER"] in env["JZ_AMQP_URL"]


def test_service_specific_settings_and_secrets(services):
    archive = services["archive"]
    assert {"JZ_ARCHIVE_SEAL_P12_FILE", "JZ_ARCHIVE_SEAL_P12_PASSWORD"} <= set(archive["environment"])
    access = services["access-control"]
    assert "JZ_ACCESS_SIGNING_KEY_FILE" in access["environment"]
    for svc, key in ((archive, "JZ_ARCHIVE_SEAL_P12_FILE"), (access, "JZ_ACCESS_SIGNING_KEY_FILE")):
        path = svc["environment"][key]
        mounts = [str(v).split(":") for v in svc["volumes"]]
        assert any(path.startswith(m[1] + "/") and m[-1] == "ro" for m in mounts), f"{key} not on a ro mount"
    notifier = services["notifier"]["environment"]
    assert {"JZ_NOTIFIER_SMTP_HOST", "JZ_NOTIFIER_SMTP_PORT"} <= set(notifier)
    dev = services["dev-secrets"]
    script = REPO / next(str(v).split(":")[0] for v in dev["volumes"] if str(v).endswith(".py:ro"))
    assert script.is_file()
    assert dev["build"]["dockerfile"] == "Dockerfile", "the one Dockerfile"
    assert dev["build"]["args"] == {"SERVICE": "archive"}, "needs an image with cryptography"


def test_named_volumes_keep_the_data(compose, services):
    declared = set(compose["volumes"])

    def named(svc):
        names = set()
        for v in services[svc].get("volumes", []):
            if isinstance(v, dict):
                names.add(v["source"])
            elif not str(v).startswith("."):
                names.add(str(v).split(":")[0])
        return names

    assert any(v.split(":")[1] == "/var/lib/rabbitmq" for v in services["rabbitmq"]["volumes"])
    assert any(v.split(":")[1] == "/data/db" for v in services["mongo"]["volumes"])
    assert any(v.split(":")[1] == "/data" for v in services["minio"]["volumes"])
    for svc in services:
        assert named(svc) <= declared, f"{svc} uses undeclared volumes {named(svc) - declared}"
    for infra in INFRA:
        assert named(infra), f"{infra} keeps its data in a named volume"
    assert services["rabbitmq"].get("hostname"), "RabbitMQ's data directory is per node name"


def test_services_run_read_only_and_unprivileged(services):
    for name in SERVICES + (WORKER,):
        svc = services[name]
        assert svc.get("read_only") is True, name
        assert any(str(t).split(":")[0] == "/tmp" for t in svc.get("tmpfs", [])), name
        assert "ALL" in svc.get("cap_drop", []), name
        assert svc.get("user") in (None, "10001", "10001:10001"), f"{name} must not override the image user"


def test_dev_secrets_script_makes_a_loadable_seal_and_key(tmp_path, monkeypatch):
    crypto = pytest.importorskip("cryptography")
    assert crypto
    import importlib.util

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    spec = importlib.util.spec_from_file_location(
        "make_dev_secrets", REPO / "deploy/compose/make_dev_secrets.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("JZ_ARCHIVE_SEAL_P12_PASSWORD", "s3cret")
    assert module.main(["make_dev_secrets.py", str(tmp_path)]) == 0
    key, cert, _ = pkcs12.load_key_and_certificates((tmp_path / "seal.p12").read_bytes(), b"s3cret")
    assert key is not None and cert is not None
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    signing = serialization.load_pem_private_key((tmp_path / "signing-key.pem").read_bytes(), password=None)
    assert signing.key_size >= 2048
    before = (tmp_path / "signing-key.pem").read_bytes()
    assert module.main(["make_dev_secrets.py", str(tmp_path)]) == 0
    assert (tmp_path / "signing-key.pem").read_bytes() == before, "a second run keeps the keys"
    monkeypatch.delenv("JZ_ARCHIVE_SEAL_P12_PASSWORD")
    assert module.main(["make_dev_secrets.py", str(tmp_path / "other")]) == 2


# ---- per-service credentials (issue 20 items 3, 12) -------------------------------------------------------------


def test_each_service_has_its_own_database_user_minio_user_and_client_secret(compose, services):
    """No credential is shared: each service (the OCR workers with scan-ocr) logs in to MongoDB as its own user on
    its own database, to MinIO with its own keys, and mounts only its own client secret."""
    keys = {}
    for name in SERVICES + (WORKER,):
        svc = "scan-ocr" if name == WORKER else name
        env = services[name]["environment"]
        db = "juanzong_" + svc.replace("-", "_")
        url = interpolate(env["JZ_MONGO_URL"])
        assert url.startswith(f"mongodb://{svc}:") and f"@mongo:27017/{db}?" in url, url
        assert "replicaSet=rs0" in url and f"authSource={db}" in url
        keys.setdefault(interpolate(env["JZ_S3_ACCESS_KEY"]), set()).add(svc)
        mounts = [v for v in services[name].get("volumes", []) if isinstance(v, dict)]
        assert all(m.get("read_only") for m in mounts), name
        credentials = [m for m in mounts if m["source"] == "juanzong-credentials"]
        assert len(credentials) == 1 and credentials[0]["volume"]["subpath"], f"{name} mounts more than its own"
        assert not any(str(v).startswith("juanzong-credentials:") for v in services[name].get("volumes", []))
        if svc == "access-control":
            assert credentials[0]["volume"]["subpath"] == "clients"
            assert env["JZ_CLIENT_SECRETS_DIR"] == credentials[0]["target"]
        else:
            assert credentials[0]["volume"]["subpath"] == f"client/{svc}"
            assert env["JZ_CLIENT_ID"] == svc
            assert env["JZ_CLIENT_SECRET_FILE"] == credentials[0]["target"] + "/secret"
    assert all(len(owners) == 1 for owners in keys.values()), keys


def test_mongo_requires_authentication_and_init_makes_one_user_per_database(services):
    mongo = services["mongo"]
    command = command_text(mongo["command"]).split()
    assert "--keyFile" in command, "a replica set with users needs its key file"
    assert mongo["environment"]["MONGO_INITDB_ROOT_USERNAME"]
    init = services["mongo-init"]
    assert init["depends_on"]["mongo"]["condition"] == "service_healthy"
    for name in SERVICES:
        key = name.upper().replace("-", "_") + "_MONGO_URL"
        assert init["environment"][key] == services[name]["environment"]["JZ_MONGO_URL"], key
    script = (REPO / "deploy/compose/mongo-users.js").read_text(encoding="utf-8")
    assert 'roles = [{ role: "readWrite", db: database }]' in script


def test_minio_init_makes_a_user_per_service_and_a_prefix_only_station_user(services):
    import json

    script = command_text(services["minio-init"]["command"])
    for name in SERVICES + ("station-01",):
        assert f"user juanzong-{name} " in script, name
        policy = json.loads((REPO / f"deploy/compose/minio-policies/juanzong-{name}.json").read_text())
        wide = [s for s in policy["Statement"] if s["Effect"] == "Allow" and "arn:aws:s3:::*" in s["Resource"]]
        assert all(s["Action"] == ["s3:ListAllMyBuckets"] for s in wide), f"{name} may act on every bucket"
    station = json.loads((REPO / "deploy/compose/minio-policies/juanzong-station-01.json").read_text())
    assert [r for s in station["Statement"] for r in s["Resource"]] == ["arn:aws:s3:::juanzong-stations/station-01/*"]


def test_dev_secrets_makes_one_secret_per_client(tmp_path, monkeypatch):
    import importlib.util
    import stat

    spec = importlib.util.spec_from_file_location("make_dev_secrets", REPO / "deploy/compose/make_dev_secrets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("JZ_ARCHIVE_SEAL_P12_PASSWORD", "s3cret")
    if not pytest.importorskip("cryptography"):
        return
    assert module.main(["make_dev_secrets.py", str(tmp_path / "secrets"), str(tmp_path / "credentials")]) == 0
    creds = tmp_path / "credentials"
    values = {}
    for client in ("intake", "scan-ocr", "catalog", "archive", "notifier", "station-01"):
        own = creds / "client" / client / "secret"
        assert stat.S_IMODE(own.stat().st_mode) == 0o400
        values[client] = own.read_text().strip()
        assert (creds / "clients" / f"{client}.secret").read_text().strip() == values[client]
        assert len(values[client]) >= 24
    assert len(set(values.values())) == len(values)
    assert (creds / "mongo-keyfile").exists() and not (tmp_path / "secrets" / "mongo-keyfile").exists()
