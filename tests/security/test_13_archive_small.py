"""Issue 20 item 13 for the archive and the dossier documents.

- A 4,400-digit serial in a case-number path made the archive answer 500 without a token (the case number was
  turned into an integer before anything else): every case-number path of archive and catalog now answers 422
  problem+json, token or not, before authentication and before the database.
- API documents (page images and PDFs; the archive's packages and HTML report are checked in test_06) carry
  ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that runs nothing (``default-src 'none'`` and
  ``sandbox``).
"""

from __future__ import annotations

import time

import pytest
from juanzong_devstack import sample_case as sample
from juanzong_devstack.api_client import ApiError, cn_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

HUGE = "（2026）吉01民终" + "9" * 4400 + "号"


@pytest.mark.parametrize(("service", "path"), [
    ("archive", "/v1/archives/{cn}"), ("archive", "/v1/archives/{cn}/package"),
    ("archive", "/v1/archives/{cn}/report"), ("archive", "/v1/archives/{cn}/history"),
    ("archive", "/v1/archives/{cn}/transfer-package"),
    ("catalog", "/v1/dossiers/{cn}"), ("catalog", "/v1/dossiers/{cn}/search?q=x"), ("catalog", "/read/{cn}"),
])
def test_a_4400_digit_case_number_answers_422_problem_with_or_without_a_token(api, sec, service, path):
    """No case-number path answers 5xx: the shape of the 案号 is refused first (422 problem+json naming the field),
    before authentication and before the database."""
    url = api.urls[service] + path.format(cn=cn_path(HUGE))
    for headers in ({}, {"Authorization": f"Bearer {api.token(sec.JUDGE)}"}):
        response = api.client.get(url, headers=headers)
        assert response.status_code == 422, (url[:120], response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "case_number"
    response = api.client.post(api.urls["archive"] + f"/v1/archives/{cn_path(HUGE)}/submit", json={})
    assert response.status_code == 422


@pytest.fixture(scope="module")
def page_id(api, sec, tmp_path_factory) -> str:
    """A page of a catalogued dossier (立案, one page uploaded by 立案庭, OCR, cataloguing)."""
    case_number = sec.register_case(api)["case_number"]
    folder = tmp_path_factory.mktemp("pages13")
    sample.render_sample(folder, dpi=200, pages=(
        sample.SamplePage("01.png", "上诉状", ("民事上诉状", "上诉人：赵立军", "此致", "吉林省长春市中级人民法院")),))
    deadline = time.monotonic() + 30
    while True:
        try:
            api.call("scan-ocr", "POST", "/v1/batches", sec.FILING, expect=(202,), data={"case_number": case_number},
                     files=[("files", ("01.png", (folder / "01.png").read_bytes(), "image/png"))])
            break
        except ApiError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    deadline = time.monotonic() + 300
    while True:
        status, body = api.status_of("catalog", "GET", f"/v1/dossiers/{cn_path(case_number)}", sec.JUDGE)
        pages = [p["page_id"] for v in body.get("volumes", []) for d in v["documents"] for p in d["pages"]] + \
            [p["page_id"] for d in body.get("review_queue", []) for p in d["pages"]] if status == 200 else []
        if pages:
            return pages[0]
        assert time.monotonic() < deadline, f"not catalogued: {status} {body}"
        time.sleep(1)


@pytest.mark.parametrize("kind", ["pdf", "image"])
def test_page_documents_carry_nosniff_and_a_csp_that_runs_nothing(api, sec, page_id, kind):
    """A page's PDF and image are never sniffed into something else and, opened directly, run nothing."""
    response = api.call("catalog", "GET", f"/v1/pages/{page_id}/{kind}", sec.JUDGE, raw=True)
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
