"""Every read of the archive is decided per case, for the caller (issue 20 items 6, 10, 11, 13), on the real
embedded database, storage and bus; access-control is another service, so its answers come from a recording
decider here (the whole-stack version is tests/security/test_06_archive_reads.py).

- which question each route asks: workflow views and steps ``read_case``, the e-archive ``read_archive``, a
  移交 ``transfer_archive`` — with a ``resource`` naming what is served (吉高法〔2020〕11号 第九条 全程留痕);
- no role or service account is served without a yes (the archives office and service accounts included);
- a 涉密 case refused with 第十条 answers the 404 of a case without a record;
- a yes that would withhold 副卷 / undisclosable material is refused (法〔2016〕264号 三(六));
- a case-number path that cannot be a 案号 answers 422 before authentication (no 500);
- documents carry nosniff and a CSP (the HTML report's allows only its own style).
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import quote

import pytest
from juanzong_archive.adapters.repository import ARCHIVES, REPORTS, TRANSFERS
from juanzong_archive.domain.report import REPORT_CSP, FourPropertyReport, render_html, render_text
from juanzong_archive.entrypoints.app import create_app
from juanzong_devstack.pytest_plugin import running_app
from juanzong_shared.auth import Decision, Obligation
from juanzong_shared.testing import TokenFactory

pytestmark = pytest.mark.integration

CN = "（2021）吉01民终456号"
SECRET_CN = "（2021）吉01民终457号"
PATH = "/v1/archives/" + quote(CN, safe="")
SECRET_PATH = "/v1/archives/" + quote(SECRET_CN, safe="")
NINE = "吉高法〔2020〕11号 第九条第2项"


class RecordingDecider:
    """Answers as access-control would for the people of this test, and records every question."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str, str | None]] = []
        self.lagging: set[str] = set()  # cases whose archiving it hears of after one more question

    async def decide(self, identity, action, case_number, *, resource=None) -> Decision:
        self.asked.append((identity.subject, action, case_number, resource))
        if action == "read_archive" and case_number in self.lagging:
            self.lagging.discard(case_number)
            return Decision(allowed=False, reason="本案尚未归档，电子档案尚未生成。", rule="吉高法〔2020〕11号 第三条(八)")
        if case_number == SECRET_CN and identity.subject != "u-judge":
            return Decision(allowed=False, reason="涉密案件", rule="吉高法〔2020〕11号 第十条; 法〔2016〕264号 二(三)")
        if identity.subject == "u-lawyer":
            return Decision(allowed=True, reason="代理人", rule="法〔2016〕264号 三(六)", obligations=(
                Obligation(kind="record_access"), Obligation(kind="exclude_sub_volume"),
                Obligation(kind="exclude_undisclosable")))
        if identity.subject in ("u-judge", "u-office"):
            return Decision(allowed=True, reason="允许", rule=NINE, obligations=(Obligation(kind="record_access"),))
        return Decision(allowed=False, reason="本案尚未审结，电子卷宗限于合议庭成员查阅。", rule=NINE)


@pytest.fixture
def archive_env(service_env, apply_env, tmp_path):
    tokens = TokenFactory()
    env = service_env("archive", JZ_JWT_PUBLIC_KEY_FILE=tokens.write_public_key(tmp_path / "jwt.pem"),
                      JZ_JWT_JWKS_URL="", JZ_ARCHIVE_CLAMSCAN="juanzong-no-clamscan",
                      JZ_ARCHIVE_FIXITY_INTERVAL_SECONDS="0", JZ_ARCHIVE_WORK_DIR=str(tmp_path / "work"),
                      JZ_ARCHIVE_BACKUP_DIR=str(tmp_path / "backups"),
                      JZ_SERVICE_URLS='{"catalog": "http://catalog.test", "access-control": "http://ac.test"}',
                      JZ_ACCESS_CONTROL_URL="http://ac.test", JZ_MONGO_DB="t_" + uuid.uuid4().hex[:12])
    apply_env(env)
    return tokens


def _record(case_number: str, state: str, code: str = "J011-2021-C-0009") -> dict:
    now = dt.datetime.now(dt.UTC)
    return {"_id": case_number, "case_number": case_number, "state": state, "history": [], "created_at": now,
            "archival_code": code, "intake": {"court_code": "吉01", "closed_at": now},
            "package": {"bucket": "juanzong-archive", "tar_key": "archives/J011-2021-C-0009/r01/J011-2021-C-0009.tar.gz",
                        "sha256": "0" * 64}}


async def test_every_archive_read_is_decided_per_case_for_the_caller(archive_env):
    tokens = archive_env
    app = create_app()
    app.state.decider = decider = RecordingDecider()
    judge = tokens.headers("u-judge", roles=("judge",))
    office = tokens.headers("u-office", roles=("archives_office_staff",))
    tech = tokens.headers("u-tech", roles=("technology_office_staff",))
    service = tokens.headers("intake", kind="service", roles=("service_account",), scopes=("dossier:read_text",))
    lawyer = tokens.headers("u-lawyer", roles=("litigant_representative",))
    async with running_app(app) as client:
        db = app.state.mongo.db
        await db[ARCHIVES].insert_many([_record(CN, "closed"), _record(SECRET_CN, "closed", "J011-2021-C-0010")])
        report = FourPropertyReport.unreadable("J011-2021-C-0009", "archives/x.tar.gz", "测试", dt.datetime.now(dt.UTC))
        await db[REPORTS].insert_one({"_id": "r1", "case_number": CN, "archival_code": "J011-2021-C-0009",
                                      "kind": "conversion", "passed": False, "conclusion": report.conclusion(),
                                      "checked_at": report.checked_at, "report": report.model_dump(mode="json"),
                                      "text": render_text(report), "html": render_html(report)})
        await app.state.store.put_bytes("juanzong-archive", _record(CN, "closed")["package"]["tar_key"],
                                        b"package bytes", "application/gzip")
        await db[TRANSFERS].insert_one({"_id": "ab12", "case_number": CN, "archival_code": "J011-2021-C-0009",
                                        "accepted": True, "received_by": "u-office"})

        # 13: a case number that cannot be one is refused first — no token needed for the 4xx, never a 500
        huge = "/v1/archives/" + quote("（2026）吉01民终" + "9" * 4400 + "号", safe="")
        for path in (huge, huge + "/package", huge + "/report"):
            r = await client.get(path)
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert decider.asked == []

        # the case team reads the workflow record: read_case, named
        assert (await client.get(PATH, headers=judge)).status_code == 200
        assert decider.asked[-1] == ("u-judge", "read_case", CN, "archive:record")

        # archives and technology staff and a service account get nothing access-control does not allow
        for who in (tech, service):
            for method, path in (("GET", PATH), ("GET", PATH + "/history"), ("GET", PATH + "/report"),
                                 ("GET", PATH + "/reports"), ("GET", PATH + "/package"),
                                 ("GET", PATH + "/transfer-package"), ("GET", "/v1/transfers/ab12"),
                                 ("POST", PATH + "/verify")):
                r = await client.request(method, path, headers=who)
                assert r.status_code == 403, (method, path, r.text)
                assert "第九条" in r.json()["rule"], r.json()
        r = await client.post(PATH + "/backup", json={"format": "tar.gz"}, headers=tech)
        assert r.status_code == 403 and "第九条" in r.json()["rule"]
        r = await client.post(PATH + "/submit", json={}, headers=tech)  # a step is decided per case too
        assert r.status_code == 403 and "第九条" in r.json()["rule"]

        # the archives office's yes is asked for, naming what it reads
        asked = len(decider.asked)
        r = await client.get(PATH + "/report", params={"format": "html"}, headers=office)
        assert r.status_code == 200
        assert r.headers["content-security-policy"] == REPORT_CSP and r.headers["x-content-type-options"] == "nosniff"
        r = await client.get(PATH + "/report", params={"format": "text"}, headers=office)
        assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
        assert (await client.get("/v1/transfers/ab12", headers=office)).status_code == 200
        r = await client.get(PATH + "/package", headers=office)
        assert r.status_code == 200 and r.content == b"package bytes"
        assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
        assert decider.asked[asked:] == [
            ("u-office", "read_case", CN, "report:r1:html"),  # not archived yet: a workflow view
            ("u-office", "read_case", CN, "report:r1:text"),
            ("u-office", "transfer_archive", CN, "transfer:ab12"),
            ("u-office", "read_archive", CN,
             "package:juanzong-archive/archives/J011-2021-C-0009/r01/J011-2021-C-0009.tar.gz")]
        await db[ARCHIVES].update_one({"_id": CN}, {"$set": {"state": "archived"}})
        await client.get(PATH + "/report", headers=office)
        assert decider.asked[-1][1] == "read_archive"  # archived: the report is part of the e-archive

        # 10: a 涉密 case is invisible to those refused with 第十条 — the 404 of a case without a record
        never = "（2021）吉01民终999号"
        for path in ("", "/package", "/history"):
            unknown = await client.get("/v1/archives/" + quote(never, safe="") + path, headers=tech)
            r = await client.get(SECRET_PATH + path, headers=office)
            assert unknown.status_code == r.status_code == 404, (path, r.text)
            assert r.json()["detail"] == f"案件 {SECRET_CN} 尚无归档记录（未收到立案或结案信息）"
            assert unknown.json()["detail"] == r.json()["detail"].replace(SECRET_CN, never)
            assert "第十条" not in r.text
        assert (await client.get(SECRET_PATH, headers=judge)).status_code == 200

        # access-control hears of 审核归档 by event: a "not archived yet" moments after archiving is asked again
        decider.lagging = {CN}
        await db[ARCHIVES].update_one({"_id": CN}, {"$set": {"state": "archived", "history": [
            {"to_state": "archived", "at": dt.datetime.now(dt.UTC).isoformat()}]}})
        r = await client.get(PATH + "/package", headers=office)
        assert r.status_code == 200, r.text
        assert decider.asked[-1][3].endswith(";settle:2") and decider.asked[-2][3].startswith("package:")

        # 11: a yes that withholds 副卷 / undisclosable material cannot be served from a whole record
        for path in (PATH, PATH + "/package", PATH + "/report"):
            r = await client.get(path, headers=lawyer)
            assert r.status_code == 403 and r.json()["rule"] == "法〔2016〕264号 三(六)", (path, r.text)
