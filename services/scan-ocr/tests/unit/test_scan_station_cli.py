"""The station CLI's own logic: which files are pages (by content), where its settings come from (no I/O beyond
a temporary folder)."""

from __future__ import annotations

import io
import json

import pytest
from juanzong_scan_ocr.entrypoints import station
from PIL import Image

pytestmark = pytest.mark.unit


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, "PNG")
    return buf.getvalue()


def test_files_are_pages_by_content_not_by_name(tmp_path):
    (tmp_path / "scan.dat").write_bytes(_png())  # a page whatever its name
    (tmp_path / "fake.jpg").write_bytes("这不是图片".encode() * 40)
    (tmp_path / "notes.txt").write_bytes(b"notes")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "big.png").write_bytes(_png() + b"\0" * 2000)
    files = sorted(tmp_path.iterdir())
    kept, skipped = station.choose_page_files(files, max_bytes=1000)
    assert [p.name for p in kept] == ["scan.dat"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert set(reasons) == {"fake.jpg", "notes.txt", "empty.png", "big.png"}
    assert "unsupported" in reasons["fake.jpg"] and "过大" in reasons["big.png"]


def test_the_credentials_file_then_the_options(tmp_path, monkeypatch):
    """The file names the station and its own broker user and keys; an option overrides it; the services'
    environment does not leak into a station that has its file."""
    path = tmp_path / "station-01.json"
    path.write_text(json.dumps({
        "client_id": "station-01", "client_secret": "s" * 32, "court": "吉01",
        "amqp_url": "amqp://jz.station-01:p%40ss@127.0.0.1:5672/", "bus_namespace": "jz",
        "s3_endpoint": "127.0.0.1:8333", "s3_access_key": "ak", "s3_secret_key": "sk", "s3_secure": False,
        "s3_bucket": "juanzong-stations", "s3_prefix": "station-01/", "access_control_url": "http://ac",
        "intake_url": "http://intake", "scan_ocr_url": "http://scan"}))
    monkeypatch.setenv("JZ_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.setenv("JZ_S3_ACCESS_KEY", "the-services-key")
    config = station.resolve_config(path, scan_ocr_url="http://other-scan", client_id=None)
    assert config.broker_user == "jz.station-01" and config.s3_access_key == "ak"
    assert config.scan_ocr_url == "http://other-scan" and config.intake_url == "http://intake"


def test_a_missing_or_broken_credentials_file_is_a_login_error(tmp_path):
    with pytest.raises(station.StationError) as missing:
        station.resolve_config(tmp_path / "nope.json")
    assert missing.value.code == station.EXIT_LOGIN
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(station.StationError) as broken:
        station.resolve_config(tmp_path / "bad.json")
    assert broken.value.code == station.EXIT_LOGIN and "not JSON" in str(broken.value)
