"""catalog on the real embedded stack: scan-ocr's page and batch events (published on the real bus, OCR
JSON in real object storage) become an ordered, page-numbered dossier with a 卷内目录; corrections move
the 智能编目率; search returns hits with boxes; access is decided per read (吉高法〔2020〕11号 第九条);
the online-reading page works in headless Chromium (法〔2016〕264号 三(二)).

One catalog instance serves the module over real HTTP (uvicorn) so the browser can reach it; access
decisions come from a FakeDecider (access-control is another service), tokens from TokenFactory.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from juanzong_catalog.domain.categories import STANDARD_ORDER, CaseKind, Category, Volume
from juanzong_catalog.entrypoints.app import create_app
from juanzong_shared.bus import Bus
from juanzong_shared.contracts import OcrLine, PageOcrDocument, PageQc
from juanzong_shared.events import REGISTRY
from juanzong_shared.storage import ObjectStore
from juanzong_shared.testing import FakeDecider, TokenFactory
from juanzong_training.corpus import generate_bundle

pytestmark = pytest.mark.integration

BUCKET = "juanzong-pages"
OUTSIDER = "u-outsider"
CHROMIUM = "/usr/bin/chromium"


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("L", (620, 877), 255)
    ImageDraw.Draw(img).rectangle((60, 60, 560, 120), outline=0)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _ocr_document(page) -> bytes:
    """The page's ``ocr.json`` as scan-ocr writes it: the shared page-ocr.v1 contract."""
    qc = PageQc(width_px=2480, height_px=3508, effective_dpi=300, dpi_source="declared", clarity=0.9,
                edge_spread_mm=0.1, blurred=False, ink_ratio=0.04, blank=page.blank, skew_degrees=0.0,
                needs_rescan=False, passed=True, dpi=300, checked_at=datetime.now(UTC))
    return PageOcrDocument(
        page_id=page.page_id, engine="test-engine", model_version="t1", text=page.text, width=2480, height=3508,
        dpi=300, rotation=0, skew_degrees=0.0, born_digital=page.born_digital, qc=qc,
        lines=tuple(OcrLine(text=ln.text, polygon=ln.polygon, confidence=ln.confidence) for ln in page.lines),
    ).model_dump_json().encode()


async def _publish_batch(bus: Bus, store: ObjectStore, bundle, batch_id: str) -> None:
    """What scan-ocr does: OCR JSON and page PDF per page in storage, one event per page, then the batch."""
    for i, page in enumerate(bundle.pages):
        prefix = f"pages/{page.page_id}"
        await store.put_bytes(BUCKET, f"{prefix}/ocr.json", _ocr_document(page), "application/json")
        await store.put_bytes(BUCKET, f"{prefix}/page.pdf", b"%PDF-1.4\n% test page\n%%EOF\n", "application/pdf")
        if i == 0:
            await store.put_bytes(BUCKET, f"{prefix}/processed.png", _png(), "image/png")
        await bus.publish(REGISTRY.create("scan.page.processed", {
            "batch_id": batch_id, "page_id": page.page_id, "seq": page.seq + 1, "content_sha256": "0" * 64,
            "engine": "test-engine", "text_chars": len(page.text), "mean_confidence": 0.97,
            "born_digital": page.born_digital, "bucket": BUCKET, "ocr_key": f"{prefix}/ocr.json",
            "pdf_key": f"{prefix}/page.pdf", "scan_task_id": "st-1", "case_number": bundle.case_number,
            **({"image_key": f"{prefix}/processed.png"} if i == 0 else {})},
            court="吉01", case_id=bundle.case_number))
    await bus.publish(REGISTRY.create("scan.batch.completed", {
        "batch_id": batch_id, "scan_task_id": "st-1", "case_number": bundle.case_number,
        "pages_total": len(bundle.pages), "pages_done": len(bundle.pages), "pages_failed": 0},
        court="吉01", case_id=bundle.case_number))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalog(embedded_stack, tmp_path_factory):
    import uvicorn

    tokens = TokenFactory()
    key_file = tokens.write_public_key(tmp_path_factory.mktemp("catalog-keys") / "jwt.pem")
    cfg = embedded_stack.config
    embedded_stack.ensure_page_model()
    port = cfg.service_port("catalog")
    env = cfg.service_env("catalog")
    env.update(JZ_MONGO_DB="t_" + uuid.uuid4().hex[:12], JZ_SERVICE_NAME="catalog", JZ_JWT_PUBLIC_KEY_FILE=key_file,
               JZ_JWT_JWKS_URL="", JZ_BUS_RETRY_DELAYS_MS="300,600,1200,2400,4800", JZ_BUS_MAX_ATTEMPTS="8")
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    decider = FakeDecider(allow=lambda identity, action, case_number: identity.subject != OUTSIDER)
    app = create_app()
    app.state.decider = decider
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    store = ObjectStore(cfg.s3_endpoint, cfg.s3_access_key, cfg.s3_secret_key)
    bus = Bus(cfg.amqp_url, cfg.namespace, "scan-ocr-test")
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.1)
        assert server.started, "catalog did not start"
        await store.ensure_bucket(BUCKET)
        await bus.connect()
        bundle = generate_bundle(4242, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=30)
        started = time.monotonic()
        await _publish_batch(bus, store, bundle, "batch-1")
        base = f"http://127.0.0.1:{port}"
        judge = tokens.headers("u-judge", name="张法官")
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            url = f"/v1/dossiers/{quote(bundle.case_number, safe='')}"
            for _ in range(600):
                r = await client.get(url, headers=judge)
                if r.status_code == 200:
                    break
                await asyncio.sleep(0.2)
            assert r.status_code == 200, r.text
        yield SimpleNamespace(app=app, base=base, tokens=tokens, decider=decider, bundle=bundle, bus=bus,
                              store=store, url=url, judge=judge, seconds=time.monotonic() - started)
    finally:
        await bus.close()
        server.should_exit = True
        await asyncio.wait_for(task, 60)
        mp.undo()


@pytest_asyncio.fixture(loop_scope="session")
async def client(catalog):
    async with httpx.AsyncClient(base_url=catalog.base, timeout=30) as c:
        yield c


async def _outbox(catalog, event_type: str) -> list[dict]:
    db = catalog.app.state.mongo.db
    return [d["event"] async for d in db["outbox"].find({"event.event_type": event_type})]


async def test_batch_becomes_an_ordered_page_numbered_dossier_with_a_catalogue(catalog, client):
    """吉高法〔2020〕11号 第三条(三): a scanned batch is catalogued; 立卷归档办法 第十三条: 二审 order;
    卷内页号: content pages numbered from 1, cover/目录/备考表/卷底 unnumbered."""
    bundle = catalog.bundle
    dossier = (await client.get(catalog.url, headers=catalog.judge)).json()
    assert dossier["case_kind"] == "civil_second_instance"
    main = next(v for v in dossier["volumes"] if v["volume"] == "main")
    numbers = [p["page_number"] for d in main["documents"] for p in d["pages"] if p["page_number"] is not None]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 20
    order = STANDARD_ORDER[CaseKind.CIVIL_SECOND_INSTANCE][Volume.MAIN]
    positions = [order.index(Category(d["category"])) for d in main["documents"]
                 if Category(d["category"]) in order and d["category"] != "judgment"]
    assert positions == sorted(positions)
    filed = sum(d["page_count"] for v in dossier["volumes"] for d in v["documents"])
    queued = sum(d["page_count"] for d in dossier["review_queue"])
    assert filed + queued + len(dossier["blank_page_ids"]) == len(bundle.pages)

    cat = (await client.get(catalog.url + "/catalogue", headers=catalog.judge)).json()
    main_rows = [r for r in cat["rows"] if r["volume"] == "main"]
    assert [r["sequence"] for r in main_rows] == list(range(1, len(main_rows) + 1))
    assert main_rows[0]["first_page"] == 1 and main_rows[-1]["last_page"] == len(numbers)
    assert all(r["title"] and r["page_range"] for r in main_rows)
    true_titles = {t.category.value for t, _ in bundle.documents}
    assert {r["category"] for r in cat["rows"]} <= true_titles | {"other"}

    events = await _outbox(catalog, "catalog.dossier.catalogued")
    assert len(events) == 1 and events[0]["payload"]["batch_id"] == "batch-1"
    assert events[0]["payload"]["pages"] == len(bundle.pages)
    assert catalog.seconds < 60


async def test_redelivered_page_and_batch_events_change_nothing(catalog, client):
    bundle = catalog.bundle
    page = bundle.pages[1]
    await catalog.bus.publish(REGISTRY.create("scan.page.processed", {
        "batch_id": "batch-1", "page_id": page.page_id, "seq": page.seq + 1, "content_sha256": "0" * 64,
        "engine": "test-engine", "text_chars": 1, "bucket": BUCKET, "ocr_key": f"pages/{page.page_id}/ocr.json",
        "pdf_key": f"pages/{page.page_id}/page.pdf", "case_number": bundle.case_number}))
    await catalog.bus.publish(REGISTRY.create("scan.batch.completed", {
        "batch_id": "batch-1", "case_number": bundle.case_number, "pages_total": len(bundle.pages),
        "pages_done": len(bundle.pages), "pages_failed": 0}))
    db = catalog.app.state.mongo.db
    for _ in range(100):
        if await db["processed_messages"].count_documents({}) >= len(bundle.pages) + 3:
            break
        await asyncio.sleep(0.1)
    assert await db["pages"].count_documents({"batch_id": "batch-1"}) == len(bundle.pages)
    assert len(await _outbox(catalog, "catalog.dossier.catalogued")) == 1


async def test_compiled_view_for_archive_and_service_scope(catalog, client):
    """archive reads the compiled view with its own service token, decided by access-control like every reader
    (by its scopes; issue 20 item 6: no service reads without a decision)."""
    asked = len(catalog.decider.asked)
    svc = catalog.tokens.headers("archive", kind="service", roles=(), scopes=("dossier:read_pages",))
    r = await client.get(catalog.url + "/compiled", headers=svc)
    assert r.status_code == 200, r.text
    body = r.json()
    assert catalog.decider.asked[asked:] == [("archive", "read_pages", catalog.bundle.case_number)]
    main = body["volumes"][0]
    content = [p for p in main["pages"] if p["page_number"] is not None]
    assert content[0]["bucket"] == BUCKET and content[0]["pdf_key"].endswith("/page.pdf")
    assert content[0]["engine"] == "test-engine" and "needs_rescan" in content[0]
    assert main["pages"][0]["role"] == "cover"
    assert main["catalogue"] and main["documents"]


async def test_correction_is_recorded_and_moves_the_indicator(catalog, client):
    """吉高院通报29期 智能编目率: pages a person re-filed no longer count as automatic; who and when kept."""
    before = (await client.get(catalog.url, headers=catalog.judge)).json()
    rate0 = before["cataloguing_rate"]
    doc = next(d for v in before["volumes"] for d in v["documents"] if d["category"] != "defence")
    clerk = catalog.tokens.headers("u-clerk-li", name="李书记员")
    r = await client.post(catalog.url + "/corrections", headers=clerk,
                          json={"operation": "reclassify", "document_id": doc["document_id"], "category": "答辩状"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["actor"] == "u-clerk-li" and body["kind"] == "reclassify" and body["at"]
    assert body["cataloguing_rate"]["automatic_pages"] == rate0["automatic_pages"] - doc["page_count"]
    after = (await client.get(catalog.url, headers=catalog.judge)).json()
    assert after["cataloguing_rate"]["rate"] < rate0["rate"] and after["corrections"] == before["corrections"] + 1
    moved = next(d for v in after["volumes"] for d in v["documents"] if d["document_id"] == doc["document_id"])
    assert moved["category"] == "defence"
    listed = (await client.get(catalog.url + "/corrections", headers=catalog.judge)).json()["corrections"]
    assert listed[-1]["actor"] == "u-clerk-li" and listed[-1]["actor_name"] == "李书记员"
    events = await _outbox(catalog, "catalog.document.corrected")
    assert events and events[-1]["payload"]["by"] == "u-clerk-li"

    bad = await client.post(catalog.url + "/corrections", headers=clerk,
                            json={"operation": "split", "document_id": doc["document_id"],
                                  "at_page_id": doc["pages"][0]["page_id"]})
    assert bad.status_code == 409 and bad.headers["content-type"].startswith("application/problem+json")
    missing = await client.post(catalog.url + "/corrections", headers=clerk, json={"operation": "rename",
                                                                                   "document_id": doc["document_id"]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "title"


def _probe_line(bundle) -> str:
    for page in bundle.pages:
        for ln in page.lines:
            if "上诉人" in ln.text and len(ln.text) > 8:
                return ln.text
    raise AssertionError("no probe line")


async def test_search_returns_hits_with_boxes(catalog, client):
    """法〔2016〕264号 三(二): 内容可检索 — CJK n-gram search, hits with the boxes to highlight."""
    r = await client.get(catalog.url + "/search", params={"q": "上诉人"}, headers=catalog.judge)
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits and all("上诉人" in h["text"][h["spans"][0][0]:h["spans"][0][1]] for h in hits)
    h = hits[0]
    assert len(h["highlight_polygons"][0]) == 4 and h["page_number"] and h["document_title"]
    across = (await client.get("/v1/search", params={"q": "上诉人"}, headers=catalog.judge)).json()
    assert across["total"] == len(hits[:200]) and "withheld_dossiers" not in across
    none = (await client.get(catalog.url + "/search", params={"q": "量子纠缠"}, headers=catalog.judge)).json()
    assert none["hits"] == []


async def test_reader_refused_by_access_control_gets_403(catalog, client):
    """吉高法〔2020〕11号 第九条: someone access-control refuses reads no pages, no text, no search hits."""
    outsider = catalog.tokens.headers(OUTSIDER)
    page_id = catalog.bundle.pages[0].page_id
    for path in (f"/v1/pages/{page_id}/text", f"/v1/pages/{page_id}/pdf", f"/v1/pages/{page_id}/image",
                 catalog.url, catalog.url + "/search?q=上诉人"):
        r = await client.get(path, headers=outsider)
        assert r.status_code == 403, (path, r.status_code)
        assert r.json()["rule"] == "吉高法〔2020〕11号 第九条"
    across = (await client.get("/v1/search", params={"q": "上诉人"}, headers=outsider)).json()
    assert across == {"query": "上诉人", "hits": [], "total": 0}  # nothing about the dossier it may not search
    assert (await client.get(catalog.url)).status_code == 401
    ok = await client.get(f"/v1/pages/{page_id}/pdf", headers=catalog.judge)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    img = await client.get(f"/v1/pages/{page_id}/image", headers=catalog.judge)
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"


async def test_reading_page_in_headless_chromium(catalog):
    """网上阅卷 (法〔2016〕264号 三(二)): catalogue tree, page with text layer, search with a highlighted hit,
    a personal note; opening it records catalog.dossier.read."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.async_api import async_playwright

    token = catalog.tokens.token("u-judge", name="张法官")
    url = f"{catalog.base}/read/{quote(catalog.bundle.case_number, safe='')}#token={token}"
    probe = _probe_line(catalog.bundle)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(url)
            await page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            assert "#token" not in page.url
            titles = await page.locator("#tree .doc-title").all_inner_texts()
            assert len(titles) >= 5 and "正卷" in await page.locator("#tree").inner_text()
            await page.wait_for_selector("#text-layer span")
            await page.fill("#search-input", "上诉人")
            await page.click("#search-button")
            await page.wait_for_selector("#results .hit-item mark")
            assert await page.locator("#results mark").first.inner_text() == "上诉人"
            await page.wait_for_selector("#hit-layer .hit.focus")
            box = await page.locator("#hit-layer .hit.focus").first.bounding_box()
            assert box and box["width"] > 5 and box["height"] > 2
            layer = await page.locator("#text-layer").inner_text()
            assert "上诉人" in layer
            await page.fill("#note-text", "注意上诉请求")
            await page.click("#add-note")
            await page.wait_for_selector("#marks li")
            assert "注意上诉请求" in await page.locator("#marks").inner_text()
            await page.click("#zoom-in")
            assert await page.locator("#zoom-level").inner_text() != ""
            assert not errors, errors
            if os.environ.get("JZ_CATALOG_SCREENSHOT"):  # for a person checking the layout
                await page.screenshot(path=os.environ["JZ_CATALOG_SCREENSHOT"], full_page=True)
        finally:
            await browser.close()
    assert probe  # the bundle has appellant lines to find
    for _ in range(50):
        if await _outbox(catalog, "catalog.dossier.read"):
            break
        await asyncio.sleep(0.1)
    reads = await _outbox(catalog, "catalog.dossier.read")
    assert reads and reads[0]["payload"]["reader"] == "u-judge"


async def test_batch_completed_before_its_pages_is_catalogued_by_the_last_page(catalog, client):
    """The completion event may overtake the pages (a slow OCR worker, a long batch): it is recorded,
    not retried towards the dead-letter queue, and the page that completes the batch catalogues it;
    the dossier's search index is warmed right after."""
    bundle = generate_bundle(4243, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=20)
    db = catalog.app.state.mongo.db
    batch_id = "batch-early"
    completed = REGISTRY.create("scan.batch.completed", {
        "batch_id": batch_id, "scan_task_id": "st-2", "case_number": bundle.case_number,
        "pages_total": len(bundle.pages), "pages_done": len(bundle.pages), "pages_failed": 0},
        court="吉01", case_id=bundle.case_number)
    await catalog.bus.publish(completed)
    handled = None
    for _ in range(300):  # handled successfully once (in the ledger), not waiting in a retry queue
        handled = await db["processed_messages"].find_one({"_id": {"$regex": f":{completed.event_id}$"}})
        if handled:
            break
        await asyncio.sleep(0.1)
    assert handled, "the early completion event was not handled"
    progress = await db["batch_progress"].find_one({"_id": batch_id})
    assert progress["completion"]["payload"]["pages_done"] == len(bundle.pages)
    assert await db["batches"].find_one({"_id": batch_id}) is None

    # the pages now (the batch event is not sent again)
    for page in bundle.pages:
        prefix = f"pages/{page.page_id}"
        await catalog.store.put_bytes(BUCKET, f"{prefix}/ocr.json", _ocr_document(page), "application/json")
        await catalog.bus.publish(REGISTRY.create("scan.page.processed", {
            "batch_id": batch_id, "page_id": page.page_id, "seq": page.seq + 1, "content_sha256": "0" * 64,
            "engine": "test-engine", "text_chars": len(page.text), "bucket": BUCKET,
            "ocr_key": f"{prefix}/ocr.json", "pdf_key": f"{prefix}/page.pdf", "scan_task_id": "st-2",
            "case_number": bundle.case_number}, court="吉01", case_id=bundle.case_number))
    url = f"/v1/dossiers/{quote(bundle.case_number, safe='')}"
    for _ in range(600):
        r = await client.get(url, headers=catalog.judge)
        if r.status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert r.status_code == 200, r.text
    events = [e for e in await _outbox(catalog, "catalog.dossier.catalogued") if e["payload"]["batch_id"] == batch_id]
    assert len(events) == 1 and events[0]["payload"]["pages"] == len(bundle.pages)
    assert events[0]["court"] == "吉01" and events[0]["payload"]["scan_task_id"] == "st-2"
    assert (await db["batch_progress"].find_one({"_id": batch_id}))["catalogued_at"]
    dossier = r.json()
    filed = sum(d["page_count"] for v in dossier["volumes"] for d in v["documents"])
    assert filed + sum(d["page_count"] for d in dossier["review_queue"]) + len(dossier["blank_page_ids"]) == \
        len(bundle.pages)

    cache = catalog.app.state.catalog.search_cache
    await cache.wait_warm()
    index = cache.indexed(db, bundle.case_number)
    assert index is not None and index.page_count == filed + sum(d["page_count"] for d in dossier["review_queue"])
    hits = (await client.get(url + "/search", params={"q": "法院"}, headers=catalog.judge)).json()["hits"]
    assert hits and all(h["case_number"] == bundle.case_number for h in hits)


# ------------------------------------------------------------- 日期/责任者 from real OCR, and their correction

SAMPLE_CASE = "（2026）吉01民终1001号"
SAMPLE_COURT = "吉林省长春市中级人民法院"
# What PP-OCRv5 read on pages of the shipped sample appeal: 〇 dropped from the years (二二六年 for 二〇二六年).
SAMPLE_OCR = (
    ("民事上诉状", "上诉人（原审被告）：赵立军，男，住长春市南关区自由大路一百二十号。",
     "被上诉人（原审原告）：孙秀梅，女，住长春市朝阳区红旗街八十八号。",
     "上诉人因与被上诉人民间借贷纠纷一案，不服长春市南关区人民法院（2025）吉0102民初2345号民事判决，现提起上诉。",
     "上诉请求：一、撤销原审判决第一项，依法改判上诉人仅偿还借款本金八万元；二、本案一审、二审诉讼费用由被上诉人负担。",
     "此致", SAMPLE_COURT, "上诉人：赵立军", "二二五年十一月三日"),
    ("居民身份证复印件", "姓名 赵立军 性别 男 民族 汉", "出生1978年5月6日", "住址 长春市南关区自由大路一百二十号",
     "公民身份号码 220102197805061234", "签发机关长春市公安局南关分局", "有效期限2016.03.01-2036.03.01",
     "本复印件与原件核对一致 核对人 李明"),
    (SAMPLE_COURT, "传票", SAMPLE_CASE, "案由民间借贷纠纷", "被传唤人赵立军", "传唤事由开庭审理",
     "应到时间二二六年二月二十六九", "应到处所本院第十二法庭", "注意事项：被传唤人必须准时到达应到处所，本票由被传唤人带来报到。",
     "审判员王建国", "二二六年一月八日"),
    (SAMPLE_COURT, "送达回证", SAMPLE_CASE, "送达文书 受理案件通知书 传票 举证通知书", "受送达人赵立军",
     "送达地点长春市南关区自由大路一百二十号", "受送达人签收 赵立军二二六年一月十日", "送达人刘洋"),
)
SAMPLE_JUDGMENT = (
    (SAMPLE_COURT, "民事判决书", SAMPLE_CASE, "上诉人（原审被告）：赵立军，男，住长春市南关区。",
     "被上诉人（原审原告）：孙秀梅，女，住长春市朝阳区。",
     "上诉人赵立军因与被上诉人孙秀梅民间借贷纠纷一案，不服长春市南关区人民法院（2025）吉0102民初2345号民事判决，",
     "向本院提起上诉。本院依法组成合议庭审理了本案，现已审理终结。", "本判决为终审判决。"),
    ("二审案件受理费一千八百元，由被上诉人孙秀梅负担。", "本判决为终审判决。", "审判长 王建国", "审判员李海燕",
     "审判员 张志刚", "二二六年三月十日", "书记员周敏"),
)


def _ocr_bundle(prefix: str, texts) -> SimpleNamespace:
    """Pages as scan-ocr would store them: recognised lines with their boxes."""
    from juanzong_catalog.domain.pages import Line, PageText

    pages = []
    for seq, lines in enumerate(texts):
        boxes = [Line(text=t, polygon=((300.0, 300.0 + 104 * i), (300.0 + 64 * len(t), 300.0 + 104 * i),
                                       (300.0 + 64 * len(t), 366.0 + 104 * i), (300.0, 366.0 + 104 * i)),
                      confidence=0.97) for i, t in enumerate(lines)]
        pages.append(PageText(page_id=f"{prefix}-p{seq:03d}", seq=seq, text="\n".join(lines), lines=tuple(boxes)))
    return SimpleNamespace(case_number=SAMPLE_CASE, pages=pages)


async def _catalogued(catalog, client, url: str, batch_id: str) -> dict:
    for _ in range(600):
        events = [e for e in await _outbox(catalog, "catalog.dossier.catalogued") if e["payload"]["batch_id"] == batch_id]
        if events:
            break
        await asyncio.sleep(0.2)
    assert events, f"{batch_id} was not catalogued"
    r = await client.get(url + "/catalogue", headers=catalog.judge)
    assert r.status_code == 200, r.text
    return {row["category"]: row for row in r.json()["rows"]}


async def test_real_ocr_dates_reach_the_catalogue_and_staff_correct_date_and_issuer(catalog, client):
    """卷内目录 日期/责任者 read from PP-OCRv5 text (〇 dropped); staff correct an entry's 日期 and 责任者
    (edit), recorded with who and when (全程留痕); the catalogue, the compiled view archive reads and the
    correction survive the next batch catalogued into the dossier."""
    url = f"/v1/dossiers/{quote(SAMPLE_CASE, safe='')}"
    await _publish_batch(catalog.bus, catalog.store, _ocr_bundle("ocr-a", SAMPLE_OCR), "batch-ocr-a")
    rows = await _catalogued(catalog, client, url, "batch-ocr-a")
    got = {k: (r["date"], r["issuer"]) for k, r in rows.items()}
    assert got == {"appeal_petition": ("2025-11-03", "赵立军"), "identity_proof": (None, "赵立军"),
                   "summons": ("2026-01-08", SAMPLE_COURT), "service_receipt": ("2026-01-10", SAMPLE_COURT)}

    clerk = catalog.tokens.headers("u-clerk-liu", name="刘书记员")
    receipt = rows["service_receipt"]["document_id"]
    before = (await client.get(url, headers=catalog.judge)).json()
    refused = [("date", {"date": "2026-02-30"}), ("date", {"date": "2999-01-01"}),  # no such day; the future
               ("date", {"date": "二〇二六年一月十日"}), ("issuing_party", {"issuing_party": "  "}),
               ("title", {})]  # nothing to change
    for field, fields in refused:
        r = await client.post(url + "/corrections", headers=clerk,
                              json={"operation": "edit", "document_id": receipt, **fields})
        assert r.status_code == 422, (fields, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in r.json()["errors"]], r.json()
    missing = await client.post(url + "/corrections", headers=clerk,
                                json={"operation": "edit", "document_id": "nope", "date": "2026-01-10"})
    assert missing.status_code == 409

    r = await client.post(url + "/corrections", headers=clerk, json={
        "operation": "edit", "document_id": receipt, "date": "2026-01-11", "issuing_party": "吉林省长春市中级人民法院民一庭"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["kind"], body["actor"], body["actor_name"]) == ("edit", "u-clerk-liu", "刘书记员") and body["at"]
    assert body["before"] == f"日期：2026-01-10；责任者：{SAMPLE_COURT}"
    assert body["after"] == "日期：2026-01-11；责任者：吉林省长春市中级人民法院民一庭"
    assert body["cataloguing_rate"] == {k: before["cataloguing_rate"][k] for k in ("total_pages", "automatic_pages",
                                                                                    "rate")}
    ident = rows["identity_proof"]["document_id"]
    r = await client.post(url + "/corrections", headers=clerk,
                          json={"operation": "edit", "document_id": ident, "title": "居民身份证复印件（赵立军）"})
    assert r.status_code == 201, r.text

    def check(rows: dict, compiled: dict) -> None:
        assert (rows["service_receipt"]["date"], rows["service_receipt"]["issuer"]) == (
            "2026-01-11", "吉林省长春市中级人民法院民一庭")
        assert rows["identity_proof"]["title"] == "居民身份证复印件（赵立军）" and rows["identity_proof"]["date"] is None
        docs = {d["document_id"]: d for v in compiled["volumes"] for d in v["documents"]}
        assert (docs[receipt]["date"], docs[receipt]["issuing_party"]) == ("2026-01-11", "吉林省长春市中级人民法院民一庭")
        assert docs[ident]["title"] == "居民身份证复印件（赵立军）"
        catalogue = {c["document_id"]: c for v in compiled["volumes"] for c in v["catalogue"]}
        assert catalogue[receipt]["date"] == "2026-01-11"

    svc = catalog.tokens.headers("archive", kind="service", roles=(), scopes=("dossier:read_pages",))
    rows = {row["category"]: row for row in (await client.get(url + "/catalogue", headers=catalog.judge)).json()["rows"]}
    check(rows, (await client.get(url + "/compiled", headers=svc)).json())
    listed = (await client.get(url + "/corrections", headers=catalog.judge)).json()["corrections"]
    assert [(c["kind"], c["actor"], c["actor_name"]) for c in listed] == [("edit", "u-clerk-liu", "刘书记员")] * 2
    assert listed[0]["request"]["date"] == "2026-01-11" and listed[0]["at"]
    events = [e for e in await _outbox(catalog, "catalog.document.corrected") if e["case_id"] == SAMPLE_CASE]
    assert [e["payload"]["operation"] for e in events] == ["edit", "edit"]
    raw = await catalog.app.state.mongo.db["dossiers"].find_one({"_id": SAMPLE_CASE})
    assert raw["document_meta"][receipt]["manual_fields"] == ["date", "issuing_party"]

    # the next batch of the case (the judgment) is catalogued into the dossier; the corrections stay
    await _publish_batch(catalog.bus, catalog.store, _ocr_bundle("ocr-b", SAMPLE_JUDGMENT), "batch-ocr-b")
    rows = await _catalogued(catalog, client, url, "batch-ocr-b")
    assert (rows["judgment"]["date"], rows["judgment"]["issuer"]) == ("2026-03-10", SAMPLE_COURT)
    check(rows, (await client.get(url + "/compiled", headers=svc)).json())
    after = (await client.get(url, headers=catalog.judge)).json()
    filed = sum(d["page_count"] for v in after["volumes"] for d in v["documents"])
    assert after["corrections"] == 2 and after["cataloguing_rate"]["automatic_pages"] == filed  # wording only


# ------------------------------------------------------------- issue 20: obligations, search oracle, 涉密 pages

LAWYER = "u-lawyer-qian"


class RepresentativeDecider:
    """access-control's yes for a litigant's lawyer (法〔2016〕264号 三(六)): reads come with the obligations
    exclude_sub_volume and exclude_undisclosable; everyone else is answered by the module's decider."""

    def __init__(self, inner: FakeDecider) -> None:
        self.inner = inner
        self.asked: list[tuple[str, str, str, str | None]] = []

    async def decide(self, identity, action, case_number, *, resource=None):
        from juanzong_shared.auth import Decision, Obligation

        if identity.subject != LAWYER:
            return await self.inner.decide(identity, action, case_number, resource=resource)
        self.asked.append((identity.subject, action, case_number, resource))
        return Decision(allowed=True, reason="本案诉讼代理人可在线浏览本案电子卷宗（不含副卷及依法不公开的材料）。",
                        rule="法〔2016〕264号 三(六)", obligations=(
                            Obligation(kind="record_access"), Obligation(kind="exclude_sub_volume"),
                            Obligation(kind="exclude_undisclosable")))


async def _dossier_of(client, bundle, headers) -> tuple[str, dict]:
    url = f"/v1/dossiers/{quote(bundle.case_number, safe='')}"
    for _ in range(600):
        r = await client.get(url, headers=headers)
        if r.status_code == 200:
            return url, r.json()
        await asyncio.sleep(0.2)
    raise AssertionError(f"{bundle.case_number} not catalogued: {r.text}")


async def test_representative_is_served_no_sub_volume_or_undisclosable_material(catalog, client):
    """法〔2016〕264号 三(六): a lawyer's yes withholds the 副卷 and material closed by law — no such document in
    the dossier view, 卷内目录 or compiled view, no such page or page text, no search hit on such a page (in the
    dossier or across dossiers). The 依法不公开 flag is set by a cataloguer (a recorded correction)."""
    bundle = generate_bundle(4244, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=14)
    await _publish_batch(catalog.bus, catalog.store, bundle, "batch-rep")
    url, view = await _dossier_of(client, bundle, catalog.judge)
    filed = [d for d in view["volumes"][0]["documents"] if d["category"] not in ("cover", "catalogue")]
    assert len(filed) >= 3, filed
    sub, closed = filed[1], filed[2]
    clerk = catalog.tokens.headers("u-clerk-liu", name="刘书记员")
    r = await client.post(url + "/corrections", headers=clerk, json={
        "operation": "reclassify", "document_id": sub["document_id"], "category": "合议庭评议笔录"})
    assert r.status_code == 201, r.text
    r = await client.post(url + "/corrections", headers=clerk, json={
        "operation": "disclosure", "document_id": closed["document_id"], "disclosable": False})
    assert r.status_code == 201 and r.json()["kind"] == "disclosure", r.text
    hidden_docs = {sub["document_id"], closed["document_id"]}
    hidden_pages = {p["page_id"] for d in (sub, closed) for p in d["pages"]}
    shown_page = filed[0]["pages"][0]["page_id"]

    judge_view = (await client.get(url, headers=catalog.judge)).json()
    assert [v["volume"] for v in judge_view["volumes"]] == ["main", "secondary"]
    original = catalog.app.state.decider
    catalog.app.state.decider = decider = RepresentativeDecider(original)
    lawyer = catalog.tokens.headers(LAWYER, roles=("litigant_representative",))
    try:
        mine = (await client.get(url, headers=lawyer)).json()
        assert [v["volume"] for v in mine["volumes"]] == ["main"]
        assert not hidden_docs & {d["document_id"] for v in mine["volumes"] for d in v["documents"]}
        assert mine["review_queue"] == []
        rows = (await client.get(url + "/catalogue", headers=lawyer)).json()["rows"]
        assert rows and not hidden_docs & {r["document_id"] for r in rows}
        compiled = (await client.get(url + "/compiled", headers=lawyer)).json()
        assert [v["volume"] for v in compiled["volumes"]] == ["main"]
        assert not hidden_pages & {p["page_id"] for v in compiled["volumes"] for p in v["pages"]}
        for page_id in sorted(hidden_pages):
            for kind in ("text", "pdf"):
                r = await client.get(f"/v1/pages/{page_id}/{kind}", headers=lawyer)
                assert r.status_code == 403, (page_id, kind, r.text)
                assert r.json()["rule"] == "法〔2016〕264号 三(六)"
        assert (await client.get(f"/v1/pages/{shown_page}/text", headers=lawyer)).status_code == 200
        # the page of the 副卷 document was asked about as such (the decisions API's volume=sub)
        sub_page = sub["pages"][0]["page_id"]
        assert any(res and f"page:{sub_page}" in res and "volume=sub" in res for *_, res in decider.asked)
        # a word from a withheld page: the judge finds it there, the lawyer never
        line = next(ln.text for p in bundle.pages if p.page_id in hidden_pages for ln in p.lines if len(ln.text) >= 6)
        word = line[:6]
        judge_hits = (await client.get(url + "/search", params={"q": word}, headers=catalog.judge)).json()["hits"]
        assert hidden_pages & {h["page_id"] for h in judge_hits}
        for path in (url + "/search", "/v1/search"):
            hits = (await client.get(path, params={"q": word}, headers=lawyer)).json()["hits"]
            assert not hidden_pages & {h["page_id"] for h in hits}, (path, hits)
    finally:
        catalog.app.state.decider = original


async def test_cross_search_answer_is_the_same_for_a_word_only_unreadable_dossiers_hold(catalog, client):
    """Issue 20 item 8: the answer to a caller says nothing about dossiers it may not search — a word only such a
    dossier holds gets exactly the answer of a word nobody holds (no count, no trace)."""
    outsider = catalog.tokens.headers(OUTSIDER)
    present = (await client.get("/v1/search", params={"q": "上诉人"}, headers=outsider)).json()
    absent = (await client.get("/v1/search", params={"q": "量子纠缠"}, headers=outsider)).json()
    judge = (await client.get("/v1/search", params={"q": "上诉人"}, headers=catalog.judge)).json()
    assert judge["hits"]  # the word is there, in dossiers the outsider may not search
    assert {k: v for k, v in present.items() if k != "query"} == {k: v for k, v in absent.items() if k != "query"}
    assert present == {"query": "上诉人", "hits": [], "total": 0}


async def test_pages_of_a_secret_case_are_never_stored_or_indexed(catalog, client, embedded_stack):
    """吉高法〔2020〕11号 第十条: a 涉密 case has no e-dossier here — its pages are refused (dead-lettered with the
    rule), nothing stored, catalogued or searchable, even if they got past scan-ocr."""
    import aio_pika

    bundle = generate_bundle(4246, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=3)
    db = catalog.app.state.mongo.db
    await catalog.bus.publish(REGISTRY.create("case.registered", {
        "case_number": bundle.case_number, "court": "吉01", "case_type": "民终", "category": "civil",
        "paperless": False, "secret": True, "registered_at": "2026-01-08T01:00:00Z"},
        court="吉01", case_id=bundle.case_number))
    for _ in range(300):
        if await db["cases"].find_one({"_id": bundle.case_number, "secret": True}):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("case.registered not handled")
    await _publish_batch(catalog.bus, catalog.store, bundle, "batch-secret")
    page_ids = {p.page_id for p in bundle.pages}
    reasons: list[str] = []
    connection = await aio_pika.connect_robust(embedded_stack.config.amqp_url)
    try:
        channel = await connection.channel()
        dlq = await channel.declare_queue(f"{catalog.app.state.bus.namespace}.catalog.dlq", passive=True)
        for _ in range(300):
            message = await dlq.get(no_ack=True, fail=False)
            if message is None:
                if len(reasons) >= len(page_ids) + 1:
                    break
                await asyncio.sleep(0.1)
                continue
            reason = str((message.headers or {}).get("x-jz-failure-reason", ""))
            if bundle.case_number in reason:
                reasons.append(reason)
    finally:
        await connection.close()
    assert len(reasons) == len(page_ids) + 1, reasons  # every page and the batch's completion
    assert all("第十条" in r for r in reasons)
    assert await db["pages"].count_documents({"_id": {"$in": sorted(page_ids)}}) == 0
    assert await db["search_lines"].count_documents({"dossier_id": bundle.case_number}) == 0
    assert await db["dossiers"].find_one({"_id": bundle.case_number}) is None
    r = await client.get(f"/v1/dossiers/{quote(bundle.case_number, safe='')}", headers=catalog.judge)
    assert r.status_code == 404


async def test_an_ocr_document_off_the_contract_is_dead_lettered_with_the_reason(catalog, embedded_stack):
    """catalog reads ``ocr.json`` as the shared page-ocr.v1 contract, nothing guessed: a document in another
    shape (here a box instead of a polygon, as the old tolerant reader accepted) is dead-lettered with the
    reason and its page is not stored; a page in the contract's shape beside it is."""
    import aio_pika

    bundle = generate_bundle(4247, CaseKind.CIVIL_SECOND_INSTANCE, min_pages=2)
    good, bad = bundle.pages[0], bundle.pages[1]
    off_contract = json.loads(_ocr_document(bad))
    off_contract["lines"] = [{"text": "传票", "box": [10, 20, 110, 60], "confidence": 0.9}]
    for page, body in ((good, _ocr_document(good)), (bad, json.dumps(off_contract, ensure_ascii=False).encode())):
        prefix = f"pages/{page.page_id}"
        await catalog.store.put_bytes(BUCKET, f"{prefix}/ocr.json", body, "application/json")
        await catalog.bus.publish(REGISTRY.create("scan.page.processed", {
            "batch_id": "batch-off-contract", "page_id": page.page_id, "seq": page.seq + 1,
            "content_sha256": "0" * 64, "engine": "test-engine", "text_chars": len(page.text), "bucket": BUCKET,
            "ocr_key": f"{prefix}/ocr.json", "pdf_key": f"{prefix}/page.pdf", "case_number": bundle.case_number},
            court="吉01", case_id=bundle.case_number))
    reason = None
    connection = await aio_pika.connect_robust(embedded_stack.config.amqp_url)
    try:
        channel = await connection.channel()
        dlq = await channel.declare_queue(f"{catalog.app.state.bus.namespace}.catalog.dlq", passive=True)
        for _ in range(300):
            message = await dlq.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.1)
                continue
            text = str((message.headers or {}).get("x-jz-failure-reason", ""))
            if bad.page_id in text:
                reason = text
                break
    finally:
        await connection.close()
    assert reason is not None, "the page with an off-contract ocr.json was not dead-lettered"
    assert "page-ocr.v1" in reason and "lines.0.polygon" in reason, reason
    db = catalog.app.state.mongo.db
    assert await db["pages"].find_one({"_id": bad.page_id}) is None
    for _ in range(300):
        stored = await db["pages"].find_one({"_id": good.page_id})
        if stored is not None:
            break
        await asyncio.sleep(0.1)
    assert stored is not None and stored["text"] == good.text and stored["qc"]["passed"] is True


async def test_a_case_number_path_is_checked_before_anything_else(catalog, client):
    """Issue 20 item 13: a case-number path that cannot be a 案号 answers 422 problem+json, token or not."""
    for headers in ({}, catalog.judge):
        r = await client.get("/v1/dossiers/" + quote("（2026）吉01民终" + "9" * 4400 + "号", safe=""), headers=headers)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text


async def test_page_documents_carry_nosniff_and_a_sandboxing_csp(catalog, client):
    """Issue 20 item 13: page PDFs and images are never sniffed into something else nor run anything."""
    page_id = catalog.bundle.pages[0].page_id
    for kind in ("pdf", "image"):
        r = await client.get(f"/v1/pages/{page_id}/{kind}", headers=catalog.judge)
        assert r.status_code == 200, r.text
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "sandbox" in r.headers["content-security-policy"]
