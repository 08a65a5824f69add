"""Issue 20 item 3 — one secret per client.

The development seed gave every service client and station-01 one shared secret: with the station's secret a tester
took a catalog or archive token and read every dossier. Now the stack makes one random secret per client
(``<data_dir>/secrets/clients/<client_id>.secret``, 0600 in a 0700 folder), each service process is given only its
own, every service client holds only the scopes its own work needs, and a production start refuses a development
secret. A service account's scope is what access-control decides it by (the rule it names: 法〔2016〕264号 一(三),
全程留痕 — each record's actor must be the account that acted).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from juanzong_devstack.secrets import CLIENTS, SERVICE_CLIENTS, STATIONS
from juanzong_devstack.stack import SERVICES

pytestmark = pytest.mark.e2e

OLD_DEV_SECRET = "juanzong-dev-client-secret"


def _token(api, client_id: str, secret: str):
    response = api.client.post(api.urls["access-control"] + "/v1/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    return response.status_code, response.json()


def test_each_client_has_its_own_secret_file_readable_by_the_owner_only(e2e_stack):
    """Every service and station client has a secret file of its own, 0600 in a 0700 folder, all different."""
    folder = e2e_stack.config.secrets_dir / "clients"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(e2e_stack.config.secrets_dir.stat().st_mode) == 0o700
    values = {}
    for client_id in CLIENTS:
        path = folder / f"{client_id}.secret"
        assert path.exists(), f"no secret file for {client_id}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} is not 0600"
        values[client_id] = path.read_text().strip()
        assert len(values[client_id]) >= 24 and values[client_id] != OLD_DEV_SECRET
    assert len(set(values.values())) == len(values), "two clients share a secret"


def test_a_station_secret_is_no_key_to_another_client(api, e2e_stack):
    """station-01's secret gets station-01 a token, and nothing else: client_credentials for catalog (or any
    service) with it → 401 invalid_client."""
    station_secret = e2e_stack.config.secrets.client_secret("station-01")
    status, body = _token(api, "station-01", station_secret)
    assert status == 200, body
    for client_id in SERVICE_CLIENTS:
        status, body = _token(api, client_id, station_secret)
        assert status == 401 and body.get("error") == "invalid_client", (client_id, status, body)


def test_the_old_shared_development_secret_opens_no_client(api):
    """The literal every client once shared is refused for every client (401 problem+json)."""
    for client_id in CLIENTS:
        status, body = _token(api, client_id, OLD_DEV_SECRET)
        assert status == 401, (client_id, status, body)
        assert body.get("title") and body.get("error") == "invalid_client"


def test_each_service_process_is_given_only_its_own_secret(e2e_stack):
    """A service process's environment names its own client and secret file and holds no other client's secret;
    only access-control is given the clients folder (to register them)."""
    secrets = {c: e2e_stack.config.secrets.client_secret(c) for c in CLIENTS}
    checked = 0
    for name in SERVICES:
        pid = e2e_stack.procs.pid(name)
        assert pid is not None, f"{name} is not running"
        raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
        env = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
        for client_id, secret in secrets.items():
            assert secret not in raw, f"{name}'s environment holds {client_id}'s secret"
        if name == "access-control":
            assert env.get("JZ_CLIENT_SECRETS_DIR") == str(e2e_stack.config.secrets_dir / "clients")
        else:
            assert env.get("JZ_CLIENT_ID") == name
            assert env.get("JZ_CLIENT_SECRET_FILE") == str(e2e_stack.config.secrets_dir / "clients" / f"{name}.secret")
            assert "JZ_CLIENT_SECRETS_DIR" not in env
        checked += 1
    assert checked == len(SERVICES)


def test_service_clients_hold_only_the_scopes_their_own_work_needs(api, sec):
    """scan-ocr may add pages (station jobs) but change no catalogue; notifier and catalog read no pages on their
    own account; archive reads the compiled dossier (read_pages) and nothing else. 第九条: a read needs a reason."""
    expected = {"intake": set(), "scan-ocr": {"dossier:add_pages"}, "catalog": set(),
                "archive": {"dossier:read_pages"}, "notifier": set()}
    for client_id, scopes in expected.items():
        status, body = _token(api, client_id, api.client_secret(client_id))
        assert status == 200, body
        assert set(body.get("scope", "").split()) == scopes, (client_id, body.get("scope"))

    case_number = sec.register_case(api, parties=[{"name": "赵立军", "role": "appellant"},
                                                  {"name": "钱某", "role": "appellee"}])["case_number"]
    denied = [("notifier", "read_pages"), ("catalog", "read_pages"), ("catalog", "read_text"),
              ("intake", "read_text"), ("scan-ocr", "write"), ("scan-ocr", "read_pages"), ("archive", "write"),
              ("archive", "search")]
    for client_id, action in denied:
        answer = api.post("access-control", "/v1/decisions", client_id,
                          {"action": action, "case_number": case_number}, expect=(200,))
        assert answer["allowed"] is False, (client_id, action, answer)
    archive = api.post("access-control", "/v1/decisions", "archive",
                       {"action": "read_pages", "case_number": case_number}, expect=(200,))
    assert archive["allowed"] is True, archive


def _start(module: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JZ_")}
    code = f"from {module} import create_app; create_app()"
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=False, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("variable, value", [
    ("JZ_CLIENT_SECRETS", json.dumps({"catalog": OLD_DEV_SECRET})),
    ("JZ_CLIENT_SECRETS", json.dumps({"station-01": "short-secret"})),
])
def test_a_production_access_control_refuses_a_development_secret(variable, value):
    """JZ_ENVIRONMENT=production with the old literal or a secret under 24 characters: the process stops with one
    line naming the variable."""
    result = _start("juanzong_access_control.entrypoints.app", {"JZ_ENVIRONMENT": "production", variable: value})
    assert result.returncode != 0
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert any(ln.startswith("invalid setting") and variable in ln and "production" in ln for ln in lines), \
        result.stderr[-2000:]


def test_a_production_access_control_refuses_a_secrets_folder_with_a_development_secret(tmp_path):
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "catalog.secret").write_text(OLD_DEV_SECRET + "\n")
    result = _start("juanzong_access_control.entrypoints.app",
                    {"JZ_ENVIRONMENT": "production", "JZ_CLIENT_SECRETS_DIR": str(folder)})
    assert result.returncode != 0
    assert any(ln.startswith("invalid setting JZ_CLIENT_SECRETS_DIR") for ln in result.stderr.splitlines()), \
        result.stderr[-2000:]


@pytest.mark.parametrize("variable", ["JZ_ARCHIVE_CLIENT_SECRET", "JZ_CLIENT_SECRET_FILE"])
def test_a_production_archive_refuses_a_development_secret(variable, tmp_path):
    """archive's own client secret, given as the variable or as a file, must not be the development one."""
    value = OLD_DEV_SECRET
    if variable == "JZ_CLIENT_SECRET_FILE":
        path = tmp_path / "archive.secret"
        path.write_text(OLD_DEV_SECRET + "\n")
        value = str(path)
    result = _start("juanzong_archive.entrypoints.app", {"JZ_ENVIRONMENT": "production", variable: value})
    assert result.returncode != 0
    assert any(ln.startswith("invalid setting") and variable in ln for ln in result.stderr.splitlines()), \
        result.stderr[-2000:]


def test_stations_are_registered_with_their_own_secret_only(api, e2e_stack):
    for station in STATIONS:
        status, body = _token(api, station, e2e_stack.config.secrets.client_secret(station))
        assert status == 200 and set(body["scope"].split()) == {"scan:submit"}, body
