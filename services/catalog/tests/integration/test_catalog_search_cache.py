"""The per-dossier in-memory search index on a real SecantusDB (法〔2016〕264号 三(二) 内容可检索).

Its answers are compared with the former path on the ``search_lines`` collection before and after a
correction that moves pages between documents and reorders them, after a new batch, and from a second
cache standing in for another service process that did not see the change happen.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from juanzong_catalog.adapters import repository as repo
from juanzong_catalog.domain.categories import CaseKind
from juanzong_catalog.domain.dossier import DossierDocument, add_documents, move_pages, new_dossier, reorder
from juanzong_catalog.service_layer import queries
from juanzong_catalog.service_layer.search_cache import DossierSearchCache
from juanzong_shared.db import Mongo, wait_for_mongo
from juanzong_shared.errors import NotFound
from juanzong_training.corpus import generate_bundle

pytestmark = pytest.mark.integration

AT = datetime(2025, 5, 6, 10, 0, tzinfo=UTC)


def _page_doc(case_number: str, page, batch: str) -> dict:
    return {"_id": page.page_id, "batch_id": batch, "seq": page.seq, "case_number": case_number, "text": page.text,
            "lines": [{"text": ln.text, "polygon": [list(p) for p in ln.polygon], "confidence": ln.confidence}
                      for ln in page.lines], "blank": page.blank, "born_digital": page.born_digital}


async def _file_batch(db, dossier, bundle, batch: str):
    """Store the bundle's pages as the page handler does and file its true documents into the dossier."""
    by_id = {p.page_id: p for p in bundle.pages}
    docs = []
    for n, (truth, ids) in enumerate(bundle.documents):
        for pid in ids:
            assert await repo.Repository(db).insert_page(_page_doc(dossier.case_number, by_id[pid], batch))
        docs.append(DossierDocument(document_id=f"{batch}-d{n:03d}", category=truth.category,
                                    candidate=truth.category, title=truth.title, page_ids=ids))
    return add_documents(dossier, docs)


@pytest_asyncio.fixture(loop_scope="session")
async def db(embedded_stack):
    mongo = Mongo(embedded_stack.config.mongo_url, "t_" + uuid.uuid4().hex[:12])
    await wait_for_mongo(mongo, timeout=60)
    await mongo.ensure_indexes(repo.INDEXES)
    try:
        yield mongo.db
    finally:
        await mongo.client.drop_database(mongo.db.name)
        await mongo.close()


QUERIES = ("上诉人", "法院", "本院", "判决", "委托", "号", "2", "送达", "答辩", "量子纠缠", "人民")


async def _both(db, cache, case_number: str) -> dict[str, list[dict]]:
    """query → in-memory hits, asserting they equal the search_lines path's."""
    out = {}
    for q in QUERIES:
        mem = await queries.search_dossier(db, case_number, q, 1000, cache=cache)
        old = await queries.search_dossier_mongo(db, case_number, q, 1000, cache=cache)
        assert mem == old, q
        out[q] = mem
    return out


async def test_same_hits_as_search_lines_before_and_after_a_correction_and_a_new_batch(db):
    bundle = generate_bundle(5151, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=30)
    cn = bundle.case_number
    dossier = await _file_batch(db, new_dossier(cn, cn, CaseKind.CIVIL_SECOND_INSTANCE), bundle, "b1")
    assert await repo.Repository(db).save_dossier(dossier) == 1
    # a neighbour in the same collection stays out of this dossier's answers
    other = generate_bundle(5152, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=20)
    other_dossier = await _file_batch(db, new_dossier(other.case_number, other.case_number,
                                                      CaseKind.CIVIL_FIRST_INSTANCE), other, "o1")
    await repo.Repository(db).save_dossier(other_dossier)

    here, there = DossierSearchCache(max_indexes=4), DossierSearchCache(max_indexes=4)  # two processes
    before = await _both(db, here, cn)
    assert before["上诉人"] and before["量子纠缠"] == []
    assert all(h["case_number"] == cn for hits in before.values() for h in hits)
    await there.prepare(db, cn)
    assert here.builds == 1 and there.builds == 1

    # correction: move the first document's pages to the end of the last one, then reorder a document
    first, last = dossier.documents[0], dossier.documents[-1]
    moved, _ = move_pages(dossier, list(first.page_ids), last.document_id, actor="u-clerk", at=AT)
    filed = [d for d in moved.documents if d.category is not None and d.volume is moved.documents[0].volume]
    moved, _ = reorder(moved, filed[-1].document_id, 0, actor="u-clerk", at=AT)
    assert await repo.Repository(db).save_dossier(moved) == 2

    after = await _both(db, here, cn)  # the stale process reloads the dossier; its index is kept
    assert here.builds == 1
    hits_on_moved = [h for hits in after.values() for h in hits if h["page_id"] in first.page_ids]
    assert hits_on_moved and all(h["document_id"] == last.document_id for h in hits_on_moved)
    changed = {(h["page_id"], h["line_no"]): (h["document_id"], h["page_number"]) for h in after["上诉人"]}
    unchanged = {(h["page_id"], h["line_no"]): (h["document_id"], h["page_number"]) for h in before["上诉人"]}
    assert changed.keys() == unchanged.keys() and changed != unchanged
    for q in QUERIES:  # the other process, warmed before the correction, answers the same
        assert await queries.search_dossier(db, cn, q, 1000, cache=there) == after[q]

    # a second batch: only its pages are added to the existing index
    second = generate_bundle(5153, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=20)
    grown = await _file_batch(db, moved, second, "b2")
    await repo.Repository(db).save_dossier(grown)
    final = await _both(db, here, cn)
    assert here.builds == 1 and here.top_ups == len(second.pages)
    new_pages = {p.page_id for p in second.pages}
    assert any(h["page_id"] in new_pages for hits in final.values() for h in hits)
    index = here.indexed(db, cn)
    assert index is not None and index.page_count == len(grown.page_ids)

    # the limit: the first hits in reading order
    capped = await queries.search_dossier(db, cn, "人", 5, cache=here)
    full = await queries.search_dossier(db, cn, "人", 1000, cache=here)
    assert len(capped) == 5 and capped == full[:5]


async def test_memory_is_bounded_and_a_removed_dossier_is_not_found(db):
    cases = []
    for seed in (6161, 6162, 6163):
        bundle = generate_bundle(seed, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=12)
        cn = bundle.case_number
        dossier = await _file_batch(db, new_dossier(cn, cn, CaseKind.CIVIL_FIRST_INSTANCE), bundle, f"s{seed}")
        await repo.Repository(db).save_dossier(dossier)
        cases.append(cn)
    cache = DossierSearchCache(max_indexes=2)
    for cn in cases:
        await queries.search_dossier(db, cn, "法院", cache=cache)
    assert [cache.indexed(db, cn) is not None for cn in cases] == [False, True, True]
    await queries.search_dossier(db, cases[0], "法院", cache=cache)  # rebuilt, the least recent dropped
    assert [cache.indexed(db, cn) is not None for cn in cases] == [True, False, True]
    assert cache.builds == 4

    off = DossierSearchCache(max_indexes=0)  # JZ_SEARCH_CACHE_DOSSIERS=0: the search_lines path
    assert await queries.search_dossier(db, cases[0], "法院", cache=off) == \
        await queries.search_dossier(db, cases[0], "法院", cache=cache)
    assert off.builds == 0

    await db[repo.DOSSIERS].delete_one({"_id": cases[2]})
    await db[repo.STAMPS].delete_one({"_id": cases[2]})
    with pytest.raises(NotFound):
        await queries.search_dossier(db, cases[2], "法院", cache=cache)
