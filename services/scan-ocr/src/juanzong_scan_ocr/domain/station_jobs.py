"""Who may hand in a scanning station's job, and why a job is refused (issue 20, item 2). No I/O here.

A station publishes ``scan-ocr.job.process`` on the bus with its own broker user and uploads its files
with its own object-store credentials, limited to ``juanzong-stations/<station_id>/``. Before anything of a
job is stored or read, scan-ocr checks that

1. the broker vouches for the publisher: RabbitMQ's validated ``user_id`` is ``<namespace>.<station_id>``
   of the station the job names (a station cannot hand in a job in another station's name);
2. every file of the job lies under that station's prefix in the stations bucket (a station cannot make
   scan-ocr read what it could not have uploaded);
3. access-control allows ``add_pages`` for the case, on the station's behalf (case registered, of the
   station's court, inside 第十四条 scope, not 涉密, not archived, the scan task belongs to the case);
4. at least one file is a page image (by content).

A refused job leaves a :class:`JobRefusal` keyed by the station and its job id, which that station reads
at ``GET /v1/station-jobs/{job_id}``; nothing else is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from juanzong_scan_ocr.domain.batches import station_prefix, valid_station_id

JL = "吉高法〔2020〕11号"
ART4_1_3 = f"{JL} 第四条(一)3"
"""Scanning and cataloguing are supervised by the 立案庭 and kept safe and secret; a station only scans."""


def expected_publisher(namespace: str, station_id: str) -> str:
    """The broker user a station publishes its jobs with (created by the stack or the manifests)."""
    return f"{namespace}.{station_id}"


def station_of_publisher(namespace: str, publisher: str | None) -> str | None:
    """The station a broker user belongs to, when it is a station's user of this namespace."""
    if not publisher or not publisher.startswith(namespace + "."):
        return None
    station = publisher[len(namespace) + 1:]
    return station if valid_station_id(station) else None


@dataclass(frozen=True)
class JobRefusal:
    """Why a station's job was refused: a stable code, a reason for court staff, one for integrators, the rule."""

    code: str
    reason_zh: str
    reason_en: str
    rule: str | None = None
    delete_objects: bool = True
    """Whether the job's files are deleted: only when they are known to be the publishing station's own."""

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "reason_zh": self.reason_zh, "reason_en": self.reason_en, "rule": self.rule}


def check_publisher(namespace: str, station_id: str, publisher: str | None) -> JobRefusal | None:
    """第四条(一)3: a job is handed in by the station it names, as the broker vouches for."""
    expected = expected_publisher(namespace, station_id)
    if publisher == expected:
        return None
    who = publisher or "（未声明）"
    return JobRefusal(
        "publisher_mismatch",
        f"作业声明的扫描工位 {station_id} 与实际发布者 {who} 不符，已拒收；扫描工位只能以本工位名义提交作业。",
        f"job names station {station_id!r} but was published by broker user {publisher!r} (expected {expected!r})",
        ART4_1_3, delete_objects=False)


def check_object_keys(station_id: str, bucket: str, stations_bucket: str, keys: list[str]) -> JobRefusal | None:
    """Every file of a job is in the stations bucket under the station's own prefix (its credentials' limit)."""
    prefix = station_prefix(station_id)
    if bucket != stations_bucket:
        return JobRefusal(
            "outside_prefix", f"作业文件不在扫描工位存储桶 {stations_bucket} 中，已拒收。",
            f"job files are in bucket {bucket!r}, not {stations_bucket!r}", ART4_1_3, delete_objects=False)
    outside = [k for k in keys if not within_prefix(station_id, k)]
    if outside:
        return JobRefusal(
            "outside_prefix", f"作业文件不在本工位目录 {prefix} 下（{len(outside)} 个），已拒收。",
            f"{len(outside)} job file(s) outside the station prefix {prefix}: {outside[0][:200]!r}",
            ART4_1_3, delete_objects=False)
    return None


def within_prefix(station_id: str, key: str) -> bool:
    """``key`` names an object under ``<station_id>/`` and cannot climb out of it."""
    return (key.startswith(station_prefix(station_id)) and "\\" not in key
            and not any(segment in ("", ".", "..") for segment in key.split("/")))


def add_pages_refused(reason_zh: str, rule: str | None) -> JobRefusal:
    """access-control's no to ``add_pages``: its reason and article, as the station will read them."""
    return JobRefusal("add_pages_denied", reason_zh, f"access-control refused add_pages: {rule or 'no rule'}", rule)


def no_processable_page(failures: list[tuple[str, str]]) -> JobRefusal:
    """Nothing of the job can become a page (by content: not PNG/JPEG/TIFF/PDF, empty, corrupt, too large ...)."""
    listed = "；".join(f"{name}：{reason}" for name, reason in failures[:10])
    more = f"（另有 {len(failures) - 10} 个）" if len(failures) > 10 else ""
    return JobRefusal(
        "no_processable_page", f"作业中没有可处理的页面图像，已拒收：{listed}{more}"[:2000],
        f"none of the job's {len(failures)} file(s) is a processable page image")
