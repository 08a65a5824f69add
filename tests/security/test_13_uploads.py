"""Issue 20 item 13 (uploads) — a refused upload leaves nothing behind, and a chunked upload takes no path for a name.

The review found that an upload scan-ocr refused (422: not one processable page) still left a batch record, with its
pages and stored originals, and that the chunked upload accepted ``../../x.pdf`` as a file name. Now a refusal keeps
nothing — no batch, no page, no original — and a name with a path is refused (422 problem+json naming ``file_name``).
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def open_case(api, sec) -> str:
    case_number = sec.register_case(api)["case_number"]
    deadline = time.monotonic() + 30
    while not api.post("access-control", "/v1/decisions", sec.FILING, {
            "action": "add_pages", "case_number": case_number}, expect=(200,))["allowed"]:
        assert time.monotonic() < deadline, "access-control never learnt the case"
        time.sleep(0.3)
    return case_number


def _scan_ocr_db(stack):
    from pymongo import MongoClient

    return MongoClient(stack.config.mongo_url)


def test_an_upload_with_no_processable_page_is_refused_and_leaves_no_batch(api, sec, e2e_stack, open_case):
    """A refused upload (422 naming every page) keeps no batch record, no page and no stored original."""
    from minio import Minio

    s3 = Minio(e2e_stack.config.s3_endpoint, *e2e_stack.config.s3_admin_keys, secure=False)
    originals = {o.object_name for o in s3.list_objects("juanzong-pages", prefix="batches/", recursive=True)}
    status, body = api.status_of("scan-ocr", "POST", "/v1/batches", "station", data={"case_number": open_case},
                                 files=[("files", ("a.png", b"", "image/png")),
                                        ("files", ("notes.jpg", "这不是图片".encode() * 40, "image/jpeg"))])
    sec.assert_refused(status, body, (422,))
    assert [e["field"] for e in body["errors"]] == ["pages[1] a.png", "pages[2] notes.jpg"]
    assert "batch_id" not in body
    with _scan_ocr_db(e2e_stack) as client:
        db = client["juanzong_scan_ocr"]
        assert db["batches"].count_documents({"case_number": open_case}) == 0
        assert db["pages"].count_documents({"case_number": open_case}) == 0
    assert {o.object_name for o in s3.list_objects("juanzong-pages", prefix="batches/", recursive=True)} == originals


@pytest.mark.parametrize("name", ["../../x.pdf", "..\\..\\x.pdf", "scans/x.pdf", "/etc/x.pdf", "..", "x\u202efdp.exe"])
def test_a_chunked_upload_refuses_a_name_with_a_path(api, sec, e2e_stack, open_case, name):
    """A chunked upload's ``file_name`` is a plain name: one with a folder, ``..`` or a hidden character is refused
    with 422 naming the field, and no upload session is kept."""
    status, body = api.status_of("scan-ocr", "POST", "/v1/uploads", "station", json={
        "file_name": name, "size": 1000, "case_number": open_case})
    sec.assert_refused(status, body, (422,))
    assert [e["field"] for e in body["errors"]] == ["file_name"], body
    with _scan_ocr_db(e2e_stack) as client:
        assert client["juanzong_scan_ocr"]["uploads"].count_documents({"file_name": name}) == 0
