"""The station CLI's upload: several files at once, the job lists them in page order (fakes; no I/O)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import ClassVar

import pytest
from juanzong_scan_ocr.entrypoints import station

pytestmark = pytest.mark.unit


class _Store:
    def __init__(self, *args, fail: str | None = None, **kwargs) -> None:
        self.in_flight = self.most = 0
        self.keys: list[str] = []
        self.fail = fail

    async def ensure_bucket(self, bucket: str) -> None:
        return None

    async def put_stream(self, bucket, key, stream, length, content_type) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.05 if key.endswith("p1.png") else 0.001)  # the first file is the slowest
        self.in_flight -= 1
        if self.fail and key.endswith(self.fail):
            raise OSError(f"connection reset while sending {key}")
        self.keys.append(key)


class _Bus:
    sent: ClassVar[list] = []
    users: ClassVar[list] = []
    made: ClassVar[list] = []

    def __init__(self, *args, **kwargs) -> None:
        _Bus.made.append(kwargs)

    async def connect(self, timeout: float) -> None:
        return None

    async def publish(self, event, user_id=None) -> None:
        _Bus.sent.append(event)
        _Bus.users.append(user_id)

    async def close(self) -> None:
        return None


@pytest.fixture
def fakes(monkeypatch):
    import juanzong_shared.bus
    import juanzong_shared.storage

    made = SimpleNamespace(stores=[], fail=None)

    def store(*args, **kwargs):
        made.stores.append(_Store(fail=made.fail))
        return made.stores[-1]

    monkeypatch.setattr(juanzong_shared.storage, "ObjectStore", store)
    monkeypatch.setattr(juanzong_shared.bus, "Bus", _Bus)
    _Bus.sent, _Bus.users, _Bus.made = [], [], []
    return made


def _files(tmp_path, n):
    paths = []
    for i in range(1, n + 1):
        (tmp_path / f"p{i}.png").write_bytes(b"page %d" % i)
        paths.append(tmp_path / f"p{i}.png")
    return paths


async def test_files_go_up_several_at_once_and_the_job_keeps_page_order(fakes, tmp_path):
    files = _files(tmp_path, 9)
    await station._send(files, "station-01", "j1", "（2025）吉01民终1号", "st-1", "王书记员", None, parallel=4)
    store = fakes.stores[0]
    assert store.most == 4 and store.keys[0] != "station-01/j1/0001-p1.png"  # p1 finished late
    pages = _Bus.sent[0].payload["pages"]
    assert [p["seq"] for p in pages] == list(range(1, 10))
    assert [p["object_key"] for p in pages] == [f"station-01/j1/{i:04d}-p{i}.png" for i in range(1, 10)]


async def test_the_job_goes_out_with_the_stations_own_broker_user_and_keys(fakes, tmp_path):
    """A station publishes as its own broker user (``user_id``: the broker vouches for it) on a publish-only
    connection, and its files go under its own prefix; an unsafe file name never becomes part of a key."""
    config = station.StationConfig(client_id="station-07", amqp_url="amqp://jz.station-07:pw@127.0.0.1:5672/",
                                   bus_namespace="jz", s3_endpoint="127.0.0.1:1", s3_access_key="k",
                                   s3_secret_key="s")
    (tmp_path / "p1.png").write_bytes(b"page 1")
    (tmp_path / "\u202egnp.exe").write_bytes(b"page 2")
    await station._send([tmp_path / "p1.png", tmp_path / "\u202egnp.exe"], "station-07", "j9",
                        "（2025）吉01民终1号", "st-1", "王书记员", "吉01", config=config)
    assert _Bus.users == ["jz.station-07"] and _Bus.made[0].get("passive_exchange") is True
    assert sorted(fakes.stores[0].keys) == ["station-07/j9/0001-p1.png", "station-07/j9/0002"]


async def test_a_failed_upload_sends_no_job_and_says_which_file(fakes, tmp_path):
    fakes.fail = "p3.png"
    with pytest.raises(OSError, match="p3.png"):
        await station._send(_files(tmp_path, 6), "station-01", "j2", "（2025）吉01民终1号", "st-1", "王书记员", None)
    assert _Bus.sent == []
