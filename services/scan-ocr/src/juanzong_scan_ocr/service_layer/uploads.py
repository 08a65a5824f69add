"""Chunked uploads (``/v1/uploads``): a session receives a large file chunk by chunk at increasing offsets,
resumes after a break from the offset it answers, and on completion becomes a batch like a multipart upload.

States: ``receiving`` → ``completing`` → ``completed``; or ``refused`` (access-control said no at completion)
or ``rejected`` (the file holds no processable page). A refused or rejected upload keeps no bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from juanzong_shared.auth import Identity
from juanzong_shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge
from juanzong_shared.logging import get_logger
from juanzong_shared.storage import ObjectStore

from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.formats import PageRejected, check_upload_size
from juanzong_scan_ocr.service_layer.access import CaseGate
from juanzong_scan_ocr.service_layer.intake import BatchIntake, BatchSpec, FileIn, Transact, page_failure

log = get_logger(__name__)


class FileTooLarge(TooLarge, title="文件过大"): ...


class ChunkTooLarge(TooLarge, code="chunk-too-large", title="分块过大"): ...


class BeyondDeclaredSize(TooLarge, code="oversize", title="超过声明的文件大小"): ...


class EmptyChunk(Invalid, code="empty-chunk", title="分块为空"): ...


class ChecksumMismatch(Invalid, code="checksum-mismatch", title="文件校验失败"): ...


class Uploads:
    def __init__(self, transact: Transact, store: ObjectStore, settings: ServiceSettings, gate: CaseGate,
                 intake: BatchIntake) -> None:
        self.transact = transact
        self.store = store
        self.settings = settings
        self.gate = gate
        self.intake = intake

    async def start(self, identity: Identity, fields: dict) -> dict:
        """``fields``: file_name, size, case_number, scan_task_id, operator, sha256 (as declared)."""
        await self.gate.add_pages(identity, fields["case_number"], fields.get("scan_task_id"))
        try:
            check_upload_size(fields["size"], self.settings.max_file_bytes)
        except PageRejected as rejected:
            raise FileTooLarge("size", rejected.reason_en, code=rejected.code.value, detail=rejected.reason_zh,
                               detail_en=rejected.reason_en) from None
        doc = {"_id": "up-" + uuid.uuid4().hex[:20], **fields, "offset": 0, "parts": [],
               "state": "receiving", "court": identity.court, "created_by": identity.subject,
               "station_id": identity.subject if identity.kind == "station" else None,
               "created_at": datetime.now(UTC), "batch_id": None}
        await self.transact(lambda uow: uow.repos.uploads.add(doc))
        return doc

    async def own(self, upload_id: str, identity: Identity) -> dict:
        """The caller's own upload session (another's is not found)."""
        doc = await self.transact(lambda uow: uow.repos.uploads.get(upload_id))
        if doc is None or doc.get("created_by") != identity.subject:
            raise NotFound("", f"upload {upload_id} 不存在 (not found)")
        return doc

    async def receiving_at(self, upload_id: str, identity: Identity, offset: int) -> dict:
        """The session, when it takes a chunk at ``offset`` (checked before the chunk is read)."""
        doc = await self.own(upload_id, identity)
        if doc["state"] != "receiving":
            raise Conflict("", f"上传已结束 (upload is {doc['state']})", state=doc["state"])
        if offset != doc["offset"]:
            raise Conflict("", f"偏移量应为 {doc['offset']} (expected offset {doc['offset']})",
                           expected_offset=doc["offset"])
        return doc

    def chunk_too_large(self) -> ChunkTooLarge:
        return ChunkTooLarge("", f"chunk over {self.settings.max_upload_chunk_bytes} bytes")

    async def put_chunk(self, doc: dict, offset: int, chunk: bytes) -> dict:
        if not chunk:
            raise EmptyChunk("", "empty chunk")
        if offset + len(chunk) > doc["size"]:
            raise BeyondDeclaredSize("", f"chunk ends at {offset + len(chunk)}, beyond the declared size {doc['size']}")
        upload_id, bucket = doc["_id"], self.settings.pages_bucket
        key = f"uploads/{upload_id}/{offset:016d}-{uuid.uuid4().hex[:8]}"
        await self.store.put_bytes(bucket, key, chunk)
        updated = await self.transact(lambda uow: uow.repos.uploads.append_chunk(upload_id, offset, len(chunk), key))
        if updated is None:  # a concurrent chunk won; ours is dropped
            await self.store.delete(bucket, key)
            current = await self.transact(lambda uow: uow.repos.uploads.get(upload_id))
            raise Conflict("", "并发分块冲突 (a concurrent chunk was stored first)", expected_offset=current["offset"])
        return updated

    async def complete(self, upload_id: str, identity: Identity) -> tuple[dict, list[dict]]:
        """The file becomes a batch: the batch and its failed pages (again the same for a completed upload).
        The case is checked again (it may have been archived meanwhile)."""
        doc = await self.own(upload_id, identity)
        if doc["state"] == "completed":
            return await self.transact(lambda uow: _completed(uow, doc["batch_id"]))
        if doc["state"] in ("refused", "rejected"):
            raise Conflict("", f"上传已被拒收 (upload was {doc['state']})", state=doc["state"])
        if doc["offset"] != doc["size"]:
            raise Conflict("", f"尚未收齐：已收到 {doc['offset']} / {doc['size']} 字节 (incomplete upload)",
                           expected_offset=doc["offset"])
        try:
            await self.gate.add_pages(identity, doc["case_number"], doc.get("scan_task_id"))
        except Forbidden:
            await self._end(doc, "refused")
            raise
        bucket = self.settings.pages_bucket
        data = b"".join([await self.store.get_bytes(bucket, part["key"])
                         for part in sorted(doc["parts"], key=lambda p: p["offset"])])
        if doc.get("sha256") and hashlib.sha256(data).hexdigest() != doc["sha256"]:
            raise ChecksumMismatch("sha256", "mismatch",
                                   detail="sha256 of the received bytes differs from the declared one")
        batch_id = B.new_batch_id()
        if not await self.transact(lambda uow: uow.repos.uploads.claim(upload_id, batch_id)):
            raise Conflict("", "上传正在完成中 (upload is being completed)")
        spec = BatchSpec(batch_id, doc["case_number"], doc.get("scan_task_id"), doc.get("operator"), doc.get("court"),
                         "upload", station_id=doc.get("station_id"), created_by=doc["created_by"],
                         extra={"upload_id": upload_id})
        try:
            answer = await self.intake.take_in(spec, [FileIn(name=doc["file_name"], data=data)])
        except DomainError as rejected:
            if rejected.kind == "invalid":
                await self._end(doc, "rejected")
            raise
        await self.transact(lambda uow: uow.repos.uploads.set(upload_id, state="completed"))
        await self._delete_chunks(doc)
        return answer

    async def _end(self, doc: dict, state: str) -> None:
        """A refused or rejected upload keeps no bytes: its chunks go, the session says why it ended."""
        await self.transact(lambda uow: uow.repos.uploads.set(doc["_id"], state=state, parts=[], batch_id=None))
        await self._delete_chunks(doc)

    async def _delete_chunks(self, doc: dict) -> None:
        for part in doc["parts"]:
            try:
                await self.store.delete(self.settings.pages_bucket, part["key"])
            except Exception as error:  # noqa: BLE001 — leftovers only cost space
                log.warning("upload chunk not deleted", key=part["key"], error=str(error))


async def _completed(uow, batch_id: str) -> tuple[dict, list[dict]]:
    batch = await uow.repos.batches.get(batch_id)
    pages = await uow.repos.pages.failed_of_batch(batch_id)
    return batch, [page_failure(p["_id"], p["seq"], p.get("file_name"), p.get("page_index"), p["failure"])
                   for p in pages]
