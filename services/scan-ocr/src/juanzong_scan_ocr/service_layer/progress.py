"""What became of a batch, a page and a station's job (reads for the callers who may see them)."""

from __future__ import annotations

from juanzong_shared.auth import Identity
from juanzong_shared.errors import NotFound

from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.access import CaseGate, NotAllowed
from juanzong_scan_ocr.service_layer.intake import Transact


class Progress:
    def __init__(self, transact: Transact, gate: CaseGate) -> None:
        self.transact = transact
        self.gate = gate

    async def batch(self, batch_id: str, identity: Identity, *, pages: bool) -> tuple[dict, list[dict]]:
        """The batch and (``pages``) every page's state in page order."""
        batch = await self.transact(lambda uow: uow.repos.batches.get(batch_id))
        if batch is None:
            raise NotFound("", f"batch {batch_id} 不存在 (not found)")
        await self.gate.read(identity, batch)
        return batch, (await self.transact(lambda uow: uow.repos.pages.of_batch(batch_id)) if pages else [])

    async def page(self, page_id: str, identity: Identity) -> dict:
        async def read(uow):
            page = await uow.repos.pages.get(page_id)
            return page, page and await uow.repos.batches.get(page["batch_id"])
        page, batch = await self.transact(read)
        if page is None:
            raise NotFound("", f"page {page_id} 不存在 (not found)")
        await self.gate.read(identity, batch)
        return page

    async def station_job(self, job_id: str, identity: Identity) -> tuple[str, dict]:
        """("accepted", the batch) or ("refused", the refusal), for the station that sent the job."""
        if identity.kind != "station" or not B.valid_station_id(identity.subject):
            raise NotAllowed("", "只有提交该作业的扫描工位可以查看作业结果 (a station's own jobs only)")
        key = B.station_batch_id(identity.subject, job_id)

        async def read(uow):
            return await uow.repos.batches.get(key), await uow.repos.job_refusals.get(key)
        batch, refusal = await self.transact(read)
        if batch is not None:
            return "accepted", batch
        if refusal is None:
            raise NotFound("", f"作业 {job_id} 尚未受理或不存在 (job not taken in yet, or never sent)")
        return "refused", refusal
