"""What the intake reads of a station's file to inspect it: the head of a large JPEG or PNG, else the whole."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.service_layer import intake
from PIL import Image


class RecordingStore:
    """Serves one object's bytes and records how they were read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads: list[str] = []

    async def get_head(self, bucket: str, key: str, length: int) -> bytes:
        self.reads.append("head")
        return self.data[:length]

    async def get_bytes(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        self.reads.append("whole")
        return self.data


def _noise(fmt: str, size=(1400, 1000)) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 256, (*size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, padded past the head with junk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"\0" * (intake.HEAD_BYTES * 2))


async def _read(data: bytes) -> tuple[bytes, list[str]]:
    store = RecordingStore(data)
    got, inspection = await intake._read_for_inspection(store, ServiceSettings(), "stations", "station-01/a",
                                                        len(data))
    assert inspection is None or inspection == intake.inspect_file(got, intake.limits_of(ServiceSettings()))
    return got, store.reads


async def test_a_large_png_or_jpeg_is_inspected_from_its_head_alone():
    for fmt in ("PNG", "JPEG"):
        data = _noise(fmt)
        assert len(data) > intake.HEAD_BYTES
        got, reads = await _read(data)
        assert reads == ["head"] and got == data[:intake.HEAD_BYTES]
        whole = intake.inspect_file(data, intake.limits_of(ServiceSettings()))
        assert intake.inspect_file(got, intake.limits_of(ServiceSettings())) == whole  # judged alike


async def test_a_small_file_or_other_container_is_read_whole():
    small = _noise("PNG", size=(40, 30))
    assert (await _read(small))[1] == ["whole"]
    tiff = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (1000, 800, 3), dtype=np.uint8)).save(tiff, "TIFF")
    assert (await _read(tiff.getvalue()))[1] == ["head", "whole"]


async def test_a_head_that_fails_inspection_is_judged_on_the_whole_file():
    bomb = _png_claiming(100_000, 100_000)  # refused: far more pixels than a page may have
    got, reads = await _read(bomb)
    assert reads == ["head", "whole"] and got == bomb
    assert intake.inspect_file(got, intake.limits_of(ServiceSettings())).failure.code == "decompression_bomb"


class StationBucket:
    """A station bucket of named objects; counts the reads in flight at once."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.in_flight = self.most_in_flight = 0

    async def stat(self, bucket: str, key: str):
        import asyncio
        from types import SimpleNamespace

        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)  # a round trip
        self.in_flight -= 1
        data = self.objects.get(key)
        return None if data is None else SimpleNamespace(size=len(data))

    async def get_head(self, bucket: str, key: str, length: int) -> bytes:
        return self.objects[key][:length]

    async def get_bytes(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        return self.objects[key]


async def test_a_station_jobs_files_are_read_several_at_a_time_and_each_bad_one_fails_alone():
    from juanzong_shared.events.scan_ocr import JobPage, ProcessScanJob

    small = _noise("PNG", size=(40, 30))
    objects = {f"station-01/j1/{i:02d}.png": small for i in range(1, 21)}
    objects["station-01/j1/big.png"] = small + b"\0" * 10  # over max_file_bytes
    names = [*sorted(objects), "station-01/j1/gone.png", "station-02/j1/theirs.png"]
    job = ProcessScanJob(job_id="j1", scan_task_id="t", case_number="（2025）吉01民终1号", station_id="station-01",
                         operator="王书记员", bucket="juanzong-stations",
                         pages=[JobPage(seq=len(names) - i, object_key=k) for i, k in enumerate(names)])
    store = StationBucket(objects)
    settings = ServiceSettings(max_file_bytes=len(small))
    files = await intake.load_station_files(store, settings, job)
    assert [f.key for f in files] == names[::-1]  # page order (seq), not the order listed
    by_key = {f.key: f for f in files}
    assert by_key["station-01/j1/gone.png"].failure.code == "missing"
    assert by_key["station-02/j1/theirs.png"].failure.code == "unsafe_name"  # another station's file
    assert by_key["station-01/j1/big.png"].failure.code == "oversize" and by_key["station-01/j1/big.png"].data is None
    good = [f for f in files if f.key.endswith(tuple(f"/{i:02d}.png" for i in range(1, 21)))]
    assert len(good) == 20 and all(f.failure is None and f.data == small for f in good)
    assert 1 < store.most_in_flight <= intake.STATION_READS_IN_FLIGHT
