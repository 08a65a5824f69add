"""Object storage through the ``minio`` SDK against any S3 endpoint (MinIO, SeaweedFS).

The SDK is synchronous; calls run in worker threads so the event loop stays free. Object names are
checked before any call: no ``..`` segments, no absolute paths, no backslashes, no control or bidi
characters.
"""

from __future__ import annotations

import asyncio
import io
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention

MAX_KEY_BYTES = 1024
CHUNK = 1024 * 1024


class UnsafeObjectName(ValueError):
    """The object name could escape its prefix or hide characters; the message says which rule."""


class ObjectExists(FileExistsError):
    """Write-once refused: an object is already stored under that name."""


class ObjectTooLarge(ValueError):
    pass


def safe_key(key: str) -> str:
    """Validate and NFC-normalise an object name; raise :class:`UnsafeObjectName` naming the rule."""
    if not key:
        raise UnsafeObjectName("object name is empty")
    key = unicodedata.normalize("NFC", key)
    if len(key.encode()) > MAX_KEY_BYTES:
        raise UnsafeObjectName(f"object name longer than {MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise UnsafeObjectName("absolute object names are not allowed")
    if "\\" in key:
        raise UnsafeObjectName("backslashes are not allowed in object names")
    for ch in key:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co") or ch in "\u2028\u2029":
            raise UnsafeObjectName(f"control or invisible character U+{ord(ch):04X} in object name")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise UnsafeObjectName(f"object name has an empty, '.' or '..' segment: {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    content_type: str | None
    etag: str | None
    metadata: dict[str, str]


class ObjectStore:
    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, secure: bool = False,
                 region: str = "us-east-1") -> None:
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)

    async def _run(self, fn, *args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def ping(self) -> None:
        await self._run(self.client.list_buckets)

    async def ensure_bucket(self, bucket: str, *, object_lock: bool = False, retention_days: int | None = None) -> None:
        """Create the bucket if missing; with ``object_lock`` the server keeps objects write-once."""
        def make() -> None:
            if not self.client.bucket_exists(bucket):
                try:
                    self.client.make_bucket(bucket, object_lock=object_lock)
                except S3Error as error:
                    if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
                if object_lock and retention_days:
                    self.client.set_object_lock_config(bucket, ObjectLockConfig(GOVERNANCE, retention_days, DAYS))
        await self._run(make)

    async def put_bytes(self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream",
                        *, metadata: dict[str, str] | None = None, if_absent: bool = False,
                        retain_until: datetime | None = None) -> None:
        await self.put_stream(bucket, key, io.BytesIO(data), len(data), content_type, metadata=metadata,
                              if_absent=if_absent, retain_until=retain_until)

    async def put_stream(self, bucket: str, key: str, stream: BinaryIO, length: int = -1,
                         content_type: str = "application/octet-stream", *, metadata: dict[str, str] | None = None,
                         if_absent: bool = False, retain_until: datetime | None = None,
                         max_bytes: int | None = None) -> None:
        """Upload a stream (multipart when ``length`` is -1). ``if_absent`` refuses to overwrite."""
        key = safe_key(key)
        if max_bytes is not None and length > max_bytes:
            raise ObjectTooLarge(f"{length} bytes is over the limit of {max_bytes}")
        if if_absent and await self.stat(bucket, key) is not None:
            raise ObjectExists(f"{bucket}/{key} already exists and is write-once")
        retention = Retention(COMPLIANCE, retain_until) if retain_until else None

        def put() -> None:
            self.client.put_object(bucket, key, stream, length, content_type=content_type,
                                   metadata=metadata, part_size=10 * CHUNK if length == -1 else 0,
                                   retention=retention)
        await self._run(put)

    async def get_bytes(self, bucket: str, key: str, *, max_bytes: int | None = None) -> bytes:
        key = safe_key(key)

        def get() -> bytes:
            response = self.client.get_object(bucket, key)
            try:
                if max_bytes is not None:
                    data = response.read(max_bytes + 1)
                    if len(data) > max_bytes:
                        raise ObjectTooLarge(f"{bucket}/{key} is larger than {max_bytes} bytes")
                    return data
                return response.read()
            finally:
                response.close()
                response.release_conn()
        return await self._run(get)

    async def get_head(self, bucket: str, key: str, length: int) -> bytes:
        """The first ``length`` bytes of an object (all of it when it is shorter)."""
        key = safe_key(key)

        def get() -> bytes:
            response = self.client.get_object(bucket, key, offset=0, length=length)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()
        return await self._run(get)

    async def stream(self, bucket: str, key: str, chunk: int = CHUNK) -> AsyncIterator[bytes]:
        key = safe_key(key)
        response = await self._run(self.client.get_object, bucket, key)
        try:
            while True:
                data = await self._run(response.read, chunk)
                if not data:
                    break
                yield data
        finally:
            response.close()
            response.release_conn()

    async def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        key = safe_key(key)
        try:
            st = await self._run(self.client.stat_object, bucket, key)
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"):
                return None
            raise
        return ObjectInfo(bucket, key, st.size or 0, st.content_type, st.etag, dict(st.metadata or {}))

    async def exists(self, bucket: str, key: str) -> bool:
        return await self.stat(bucket, key) is not None

    async def delete(self, bucket: str, key: str) -> None:
        await self._run(self.client.remove_object, bucket, safe_key(key))

    async def list_keys(self, bucket: str, prefix: str = "") -> list[str]:
        def ls() -> list[str]:
            return [o.object_name for o in self.client.list_objects(bucket, prefix=prefix, recursive=True)]
        return await self._run(ls)

    async def presigned_get(self, bucket: str, key: str, expires: timedelta = timedelta(minutes=15)) -> str:
        return await self._run(self.client.presigned_get_object, bucket, safe_key(key), expires)


def retain_for(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
