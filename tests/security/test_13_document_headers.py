"""Item 13 (headers) — every answer of every service carries ``X-Content-Type-Options: nosniff``; an answer that a
browser could render as a document gets ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none';
sandbox`` unless its route set its own policy (the reading page keeps its own).

Before the fix only the reading page had either header: a page image, a PDF or a JSON answer opened in a browser
was sniffed and rendered with the service's origin. The shared app middleware adds both now.
"""

from __future__ import annotations

import time

import pytest
from juanzong_devstack import sample_case as sample

pytestmark = pytest.mark.e2e

# intake takes the parties' roles as codes now (conftest's register_case still sends 上诉人/被上诉人)
PARTIES = [{"name": "赵立军", "role": "appellant"}, {"name": "钱某", "role": "appellee"}]


def register(api, sec, **extra) -> str:
    return sec.register_case(api, parties=PARTIES, **extra)["case_number"]

DOCUMENT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
SERVICES = ("access-control", "intake", "scan-ocr", "catalog", "archive", "notifier")


def assert_safe(response, *, policy: str | None = DOCUMENT_CSP) -> None:
    where = f"{response.request.method} {response.request.url} → {response.status_code}"
    assert response.headers.get_list("x-content-type-options") == ["nosniff"], where
    csp = response.headers.get_list("content-security-policy")
    assert len(csp) == 1, f"{where}: {csp}"
    if policy is not None:
        assert csp[0] == policy, f"{where}: {csp}"


def test_json_answers_and_refusals_of_every_service_carry_nosniff_and_the_document_policy(api, sec):
    """A JSON answer, a 401 and a 404 problem of each of the six services (issue 20 item 13)."""
    for service in SERVICES:
        base = api.urls[service]
        assert_safe(api.client.get(base + "/healthz"))
        assert_safe(api.client.get(base + "/v1/no-such-route"))
        assert_safe(api.client.get(base + "/readyz"))
    token = api.token(sec.FILING)
    case = register(api, sec)
    answer = api.client.get(api.urls["intake"] + f"/v1/cases/{sec.cn_path(case)}",
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert_safe(answer)
    refused = api.client.get(api.urls["notifier"] + "/v1/inbox", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert_safe(refused)


def test_the_reading_page_keeps_its_own_policy(api, sec):
    """The 网上阅卷 page runs its own script: its route's policy (script-src 'self') is kept, not replaced."""
    page = api.client.get(api.urls["catalog"] + f"/read/{sec.cn_path('（2026）吉01民终1号')}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_safe(page, policy=None)
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.fixture(scope="module")
def scanned_page(api, sec, tmp_path_factory) -> str:
    """One rendered sample page uploaded by the case's 书记员 and OCR'd and catalogued: its page id."""
    case = register(api, sec)
    rendered = sample.render_sample(tmp_path_factory.mktemp("page"), dpi=200, pages=sample.PAGES[:1])
    path = rendered.folder / sample.PAGES[0].name
    with path.open("rb") as f:
        accepted = api.call("scan-ocr", "POST", "/v1/batches", sec.CLERK, files=[("files", (path.name, f, "image/png"))],
                            data={"case_number": case})
    batch = accepted["batch_id"]
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        view = api.get("scan-ocr", f"/v1/batches/{batch}", sec.CLERK)
        pages = [p["page_id"] for p in view.get("pages", []) if p["status"] == "done"]
        if pages:
            status, _ = api.status_of("catalog", "GET", f"/v1/pages/{pages[0]}/text", sec.JUDGE)
            if status == 200:
                return pages[0]
        assert view["pages_failed"] == 0, view
        time.sleep(2)
    raise AssertionError(f"page of batch {batch} not catalogued in time")


@pytest.mark.parametrize("kind", ["image", "pdf"])
def test_a_page_image_and_its_pdf_carry_nosniff_and_a_sandboxing_policy(api, sec, scanned_page, kind):
    """A page served as a document (image, searchable PDF) runs nothing and cannot be framed or sniffed."""
    response = api.call("catalog", "GET", f"/v1/pages/{scanned_page}/{kind}", sec.JUDGE, raw=True)
    assert response.headers["content-type"].startswith("image/" if kind == "image" else "application/pdf")
    assert_safe(response, policy=None)
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp, csp
