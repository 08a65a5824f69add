"""The notifier on the real embedded stack: events on the bus, the scheduler, inbox, e-mail to a local
SMTP server, signed webhooks to a local receiver, holiday tables and the monthly indicators."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from juanzong_devstack.pytest_plugin import running_app
from juanzong_notifier.adapters.channels import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_token,
    verify,
)
from juanzong_notifier.domain.calendar import SHANGHAI
from juanzong_notifier.entrypoints.app import create_app
from juanzong_shared.events import REGISTRY
from juanzong_shared.testing import FakeDecider, TokenFactory

pytestmark = pytest.mark.integration

COURT = "吉01"
SECRET = "test-webhook-secret"
TOKENS = TokenFactory()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


class Receiver(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict]] = []
    fail_first = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append({"headers": dict(self.headers), "body": body})
        status = 500 if len(type(self).calls) <= type(self).fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, box
    controller.stop()


@pytest.fixture
def webhook():
    Receiver.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver.calls
    server.shutdown()


@pytest.fixture
def notifier_env(service_env, apply_env, tmp_path, smtp):
    env = service_env(
        "notifier",
        JZ_JWT_PUBLIC_KEY_FILE=TOKENS.write_public_key(tmp_path / "jwt.pem"),
        JZ_NOTIFIER_SMTP_HOST="127.0.0.1",
        JZ_NOTIFIER_SMTP_PORT=str(smtp[0]),
        JZ_NOTIFIER_SMTP_FROM="notifier@court.test",
        JZ_NOTIFIER_WEBHOOK_SECRET=SECRET,
        JZ_NOTIFIER_SCHEDULER_INTERVAL_SECONDS="0.3",
        JZ_NOTIFIER_RETRY_DELAYS_SECONDS="0.2",
        JZ_NOTIFIER_MONTHLY_REPORTS="false",
        JZ_OUTBOX_POLL_SECONDS="0.5",
    )
    apply_env(env)
    return env


def make_app(decider=None):
    """The notifier with a stand-in for access-control's decisions (real broker, database; fake decider)."""
    app = create_app()
    app.state.decider = decider or FakeDecider()
    return app


def admin() -> dict[str, str]:
    return TOKENS.headers("u-tech", roles=("technology_office_staff",), court=COURT)


def user(subject: str, *roles: str, court: str = COURT) -> dict[str, str]:
    return TOKENS.headers(subject, roles=roles or ("judge_assistant",), court=court)


def local(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def event(event_type: str, payload: dict, case: str, court: str = COURT, occurred_at: datetime | None = None):
    e = REGISTRY.create(event_type, payload, court=court, case_id=case)
    return e.model_copy(update={"occurred_at": occurred_at.astimezone(UTC)}) if occurred_at else e


def registered(case: str, at: datetime, court: str = COURT, department: str = "民一庭"):
    return event("case.registered", {
        "case_number": case, "court": court, "case_type": "民终", "category": "civil", "paperless": True,
        "department": department, "registered_at": at.isoformat(),
        "panel": [{"user_id": "u-judge", "name": "张法官", "role": "undertaking_judge"},
                  {"user_id": "u-asst", "name": "李助理", "role": "judge_assistant"}]}, case, court)


def closed(case: str, at: datetime, court: str = COURT):
    return event("case.closed", {"case_number": case, "closed_at": at.isoformat()}, case, court)


async def eventually(check, timeout: float = 30.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def deadline_of(client, case: str, rule: str, **match):
    async def check():
        r = await client.get(f"/v1/cases/{quote(case)}/deadlines", headers=admin())
        assert r.status_code == 200, r.text
        found = [d for d in r.json()["deadlines"] if d["rule"] == rule]
        return found[0] if found and all(found[0][k] == v for k, v in match.items()) else None
    return await eventually(check, what=f"{rule} of {case} with {match}")


async def test_closing_filing_on_friday_before_spring_festival_counts_the_makeup_saturday(notifier_env):
    """吉高法〔2020〕11号 第五条(四): 结案后2个工作日内立卷. Closed Fri 13 Feb 2026; Sat 14 Feb is a 调休 working
    day (day 1), 15–23 Feb is the Spring Festival, so day 2 is Tue 24 Feb — not Wed 25 Feb (weekdays only)."""
    case = "（2026）吉01民终101号"
    app = make_app()
    async with running_app(app) as client:
        await app.state.bus.publish(registered(case, local(2026, 1, 5)))
        await app.state.bus.publish(closed(case, local(2026, 2, 13, 16, 30)))
        d = await deadline_of(client, case, "closing_filing", responsible="u-asst")
        assert datetime.fromisoformat(d["due"]) == local(2026, 2, 24, 23, 59).replace(second=59)
        assert d["provisional"] is False
        assert "含调休上班日" in d["basis"] and d["citation"] == "吉高法〔2020〕11号 第五条(四)"
        assert d["status"] == "overdue"  # nothing stopped it, and 24 Feb 2026 is past


async def test_one_month_into_2027_is_provisional_and_moves_when_the_2027_table_is_loaded(notifier_env):
    """吉高法〔2020〕11号 第七条: 结案至归档一个自然月. Closed 1 Dec 2026 → 1 Jan 2027, a year the official calendar
    does not know: provisional on weekdays only; loading a 2027 table (1–3 Jan off) moves it to Mon 4 Jan and
    tells the responsible judge."""
    case = "（2026）吉01民终202号"
    app = make_app()
    async with running_app(app) as client:
        await app.state.bus.publish(registered(case, local(2026, 9, 1)))
        await app.state.bus.publish(closed(case, local(2026, 12, 1)))
        d = await deadline_of(client, case, "close_to_archive")
        assert d["provisional"] is True and d["provisional_years"] == [2027]
        assert datetime.fromisoformat(d["due"]).date().isoformat() == "2027-01-01"

        notice = {"number": "测试〔2026〕1号", "title": "测试用2027年部分节假日安排（非官方数据）"}
        bad = await client.post("/v1/admin/holiday-tables", headers=admin(), json={
            "year": 2027, "holidays": ["2027-01-01"], "makeup_workdays": ["2027-01-04"], "source_notice": notice})
        assert bad.status_code == 422 and "Saturdays or Sundays" in bad.json()["detail"]
        missing = await client.post("/v1/admin/holiday-tables", headers=admin(),
                                    json={"year": 2027, "holidays": ["2027-01-01"]})
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "source_notice"
        refused = await client.post("/v1/admin/holiday-tables", headers=user("u-asst"), json={
            "year": 2027, "holidays": ["2027-01-01"], "source_notice": notice})
        assert refused.status_code == 403

        loaded = await client.post("/v1/admin/holiday-tables", headers=admin(), json={
            "year": 2027, "holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
            "makeup_workdays": ["2027-01-09"], "source_notice": notice})
        assert loaded.status_code == 201, loaded.text
        moved = [c for c in loaded.json()["recomputed"] if c["rule"] == "close_to_archive"]
        assert len(moved) == 1 and moved[0]["after"]["provisional"] is False
        tables = (await client.get("/v1/holiday-tables?limit=500")).json()  # the shared list shape
        assert tables["total"] == len(tables["items"]) and tables["items"][-1]["year"] == 2027

        d = await deadline_of(client, case, "close_to_archive", provisional=False)
        assert datetime.fromisoformat(d["due"]).date().isoformat() == "2027-01-04"
        inbox = (await client.get("/v1/inbox", headers=user("u-judge", "judge"))).json()
        changed = [i for i in inbox["items"] if i["kind"] == "due_changed" and i["rule"] == "close_to_archive"]
        assert len(changed) == 1 and "2027年1月4日24时" in changed[0]["body"]


async def test_the_same_event_published_twice_gives_one_inbox_notification(notifier_env):
    """设计 (consumers are idempotent) with 吉高法〔2020〕11号 第五条(四): a redelivered case.closed — same id, and a
    producer's retry under a new id — still produces one overdue notice for the assistant."""
    case = "（2026）吉01民终303号"
    app = make_app()
    async with running_app(app) as client:
        await app.state.bus.publish(registered(case, local(2026, 10, 12)))
        first = closed(case, local(2026, 11, 2))
        await app.state.bus.publish(first)
        await app.state.bus.publish(first)
        await app.state.bus.publish(closed(case, local(2026, 11, 2)))

        async def overdue_items():
            body = (await client.get("/v1/inbox", headers=user("u-asst"))).json()
            return [i for i in body["items"] if i["case_number"] == case] or None
        await eventually(overdue_items, what="the overdue notice")
        await asyncio.sleep(2.0)  # several scheduler passes and all three deliveries
        items = await overdue_items()
        assert [(i["kind"], i["rule"]) for i in items] == [("overdue", "closing_filing")]
        assert "吉高法〔2020〕11号 第五条(四)" in items[0]["body"]

        marked = await client.post("/v1/inbox/read", headers=user("u-asst"), json={"ids": [items[0]["id"]]})
        assert marked.json() == {"marked": 1}
        assert (await client.get("/v1/inbox", headers=user("u-asst"))).json()["unread"] == 0
        assert len((await client.get("/v1/inbox?status=all", headers=user("u-asst"))).json()["items"]) == 1


async def test_an_overdue_step_escalates_to_the_department_head_by_inbox_email_and_signed_webhook(
        notifier_env, smtp, webhook):
    """吉高法〔2020〕11号 第七条 (超时计入责任部门和责任人) and 第五条(四): 立卷 not done in 2 working days is escalated to
    the head of the assistant's department — inbox, e-mail, and a webhook signed with HMAC-SHA256 that is
    retried after the receiver's first failure; the overdue ledger names the department and the person."""
    case = "（2026）吉01民终404号"
    _, mailbox = smtp
    url, calls = webhook
    app = make_app()
    async with running_app(app) as client:
        r = await client.put("/v1/admin/department-heads", headers=admin(),
                             json={"court": COURT, "department": "民一庭", "user_id": "u-head"})
        assert r.status_code == 200
        heads = (await client.get("/v1/admin/department-heads", headers=admin())).json()["items"]
        assert {"court": COURT, "department": "民一庭", "user_id": "u-head"} in heads
        prefs = {"channels": ["inbox", "email", "webhook"], "email": "head@court.test", "webhook_url": url}
        r = await client.put("/v1/admin/preferences/u-head", headers=admin(), json=prefs)
        assert r.status_code == 403, r.text  # the addresses a notice goes to are set by their owner only
        r = await client.put("/v1/preferences/me", headers=user("u-head", "department_head"), json=prefs)
        assert r.status_code == 200, r.text
        # Closed 14 days ago: 立卷 (2 working days) is overdue whatever holidays fell in between, while the
        # one-month close-to-archive clock (第七条) has not run out, so the only escalation is 立卷's.
        closed_at = (datetime.now(SHANGHAI) - timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
        await app.state.bus.publish(registered(case, closed_at - timedelta(days=21)))
        await app.state.bus.publish(closed(case, closed_at))

        async def escalation():
            body = (await client.get("/v1/inbox", headers=user("u-head", "department_head"))).json()
            return [i for i in body["items"] if i["kind"] == "escalation"] or None
        items = await eventually(escalation, what="the escalation")
        assert items[0]["rule"] == "closing_filing" and "李助理" in items[0]["body"]

        await eventually(lambda: _async(any("head@court.test" in m["to"] for m in mailbox.messages)),
                         what="the e-mail")
        mail = email.message_from_string(next(m for m in mailbox.messages if "head@court.test" in m["to"])["data"],
                                         policy=email.policy.default)
        assert mail["Subject"] == "【超期督办】电子卷宗结案立卷" and mail["From"] == "notifier@court.test"
        assert "吉高法〔2020〕11号 第七条" in mail.get_content()

        await eventually(lambda: _async(len(calls) >= 2), what="the webhook retry")
        good = calls[-1]
        headers = {k.lower(): v for k, v in good["headers"].items()}
        assert verify(SECRET, headers[TIMESTAMP_HEADER.lower()], good["body"], headers[SIGNATURE_HEADER.lower()])
        assert not verify("wrong-secret", headers[TIMESTAMP_HEADER.lower()], good["body"],
                          headers[SIGNATURE_HEADER.lower()])
        sent = json.loads(good["body"])
        assert sent["kind"] == "escalation" and sent["citation"] == "吉高法〔2020〕11号 第五条(四)"
        assert headers[DELIVERY_HEADER.lower()] == delivery_token(sent["delivery_id"])

        async def webhook_sent():
            log = (await client.get("/v1/deliveries?user_id=u-head", headers=admin())).json()
            hooks = [d for d in log if d["channel"] == "webhook" and d["state"] == "sent"]
            return hooks or None
        hooks = await eventually(webhook_sent, what="the delivery log")
        assert hooks[0]["attempts"] == 2 and [a["ok"] for a in hooks[0]["log"]] == [False, True]

        ledger = (await client.get(f"/v1/overdue?court={quote(COURT)}",
                                   headers=user("u-head", "department_head"))).json()
        assert ledger["totals"]["department"][f"{COURT}/民一庭"] >= 1
        assert ledger["totals"]["person"][f"{COURT}/u-asst"] == 1
        only = (await client.get(f"/v1/overdue?court={quote(COURT)}&person=u-asst",
                                 headers=user("u-head", "department_head"))).json()
        assert [r["rule_id"] for r in only["records"]] == ["closing_filing"]
        metrics = (await client.get("/metrics")).text
        assert f'jz_deadline_overdue{{court="{COURT}",rule="closing_filing"}}' in metrics


async def _async(value):
    return value


async def test_monthly_report_computes_all_six_indicators_from_a_scripted_month(notifier_env):
    """吉高院通报29期 (四): the six indicators for October 2026 from events on the bus and the external API."""
    court = "吉02"
    a, b, c = "（2026）吉02民终1号", "（2026）吉02民终2号", "（2026）吉02民终3号"
    script = [
        registered(a, local(2026, 10, 12), court), registered(b, local(2026, 10, 12), court),
        # filing e-dossiers (长中法〔2018〕129号 第六条, window closes 15 Oct): A in time, B late
        event("catalog.dossier.catalogued", {"case_number": a, "batch_id": "ba", "documents": 10, "pages": 40,
                                             "documents_auto": 8, "stage": "filing"}, a, court, local(2026, 10, 14)),
        event("catalog.dossier.catalogued", {"case_number": b, "batch_id": "bb", "documents": 10, "pages": 30,
                                             "documents_auto": 6, "stage": "filing"}, b, court, local(2026, 10, 19)),
        event("case.hearing.held", {"case_number": a, "at": local(2026, 10, 20, 9).isoformat()}, a, court),
        event("case.hearing.held", {"case_number": b, "at": local(2026, 10, 21, 9).isoformat()}, b, court),
        event("catalog.dossier.read", {"case_number": a, "reader": "u-judge", "pages": 12}, a, court,
              local(2026, 10, 22)),
        closed(a, local(2026, 10, 28), court), closed(b, local(2026, 10, 29), court),
        event("archive.archived", {"case_number": a, "archival_code": "A1", "package_key": "p/a",
                                   "at": local(2026, 10, 30).isoformat(), "automatic": True}, a, court),
        event("archive.archived", {"case_number": c, "archival_code": "C1", "package_key": "p/c",
                                   "at": local(2026, 10, 30).isoformat(), "automatic": False}, c, court),
    ]
    app = make_app()
    async with running_app(app) as client:
        for e in script:
            await app.state.bus.publish(e)
        external = [
            {"id": "ts-1", "type": "trial.smart_session.held", "occurred_at": local(2026, 10, 20, 11).isoformat(),
             "court": court, "case_number": a, "system": "智能庭审系统"},
            {"id": "dg-1", "type": "document.assisted.generated", "occurred_at": local(2026, 10, 27).isoformat(),
             "court": court, "case_number": b, "system": "文书辅助生成系统", "document_id": "d-1",
             "document_kind": "judgment"},
        ]
        def reporter(client_id: str, of_court: str = court) -> dict[str, str]:
            return TOKENS.headers(client_id, roles=(), court=of_court, kind="service", scopes=("indicators:report",))

        service = reporter("smart-trial")
        systems = {"trial.smart_session.held": "smart-trial", "document.assisted.generated": "document-assist"}
        # 吉高院通报29期 (四): only the reporting system's own account, for its own court, adds to the figures
        for stranger in (reporter("document-assist"), reporter("smart-trial", "吉01"),
                         TOKENS.headers("catalog", roles=(), court=court, kind="service", scopes=("dossier:read_text",))):
            r = await client.post("/v1/external-events", headers=stranger, json=external[0])
            assert r.status_code == 403 and r.json()["rule"] == "吉高院通报29期 (四)", r.text
        for body in external:
            r = await client.post("/v1/external-events", headers=reporter(systems[body["type"]]), json=body)
            assert r.status_code == 202 and r.json()["duplicate"] is False, r.text
        again = await client.post("/v1/external-events", headers=service, json=external[0])
        assert again.json()["duplicate"] is True
        bad = await client.post("/v1/external-events", headers=service, json={**external[0], "occurred_at": "2026-10-20"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "occurred_at"

        db = app.state.mongo.db
        await eventually(lambda: _count(db, len(script) + 2), what="all indicator events stored")
        r = await client.get(f"/v1/indicators/{quote(court)}/2026-10", headers=admin())
        assert r.status_code == 200, r.text
        values = {v["key"]: (v["numerator"], v["denominator"]) for v in r.json()["reports"][0]["indicators"]}
        assert values == {
            "sync_generation_rate": (1, 2),  # 电子卷宗随案同步生成率
            "smart_cataloguing_rate": (14, 20),  # 智能编目率
            "smart_trial_rate": (1, 2),  # 智能庭审应用率
            "online_reading_rate": (1, 2),  # 网上阅卷率
            "assisted_drafting_rate": (1, 2),  # 文书智能辅助生成率
            "auto_archiving_rate": (1, 2),  # 电子卷宗自动归档率
        }
        assert r.json()["reports"][0]["report_date"] == "2026-11-03"
        csv = await client.get(f"/v1/indicators/{quote(court)}/2026-10.csv", headers=admin())
        assert csv.headers["content-type"].startswith("text/csv")
        rows = csv.text.strip().splitlines()
        assert len(rows) == 7 and rows[0].startswith("court,period") and "0.7000" in csv.text
        assert (await client.get(f"/v1/indicators/{quote(court)}/2026-13", headers=admin())).status_code == 422

        made = await client.post("/v1/admin/reports/2026-10", headers=admin())
        assert made.status_code == 200 and made.json()["reports"][0]["court"] == court
        metrics = (await client.get("/metrics")).text
        assert f'jz_indicator_rate{{court="{court}",indicator="smart_cataloguing_rate"}} 0.7' in metrics


async def _count(db, n: int) -> bool:
    return await db["indicator_events"].count_documents({}) >= n


async def test_deadlines_and_the_ledger_show_only_cases_the_caller_may_read(notifier_env):
    """吉高法〔2020〕11号 第九条 (need to know) and 第十条: a case's deadlines go to whom access-control allows
    read_case; a 涉密 case answers 404 like a case nobody registered; the overdue ledger lists and counts only the
    readable cases; a user's inbox is theirs alone."""
    from juanzong_shared.auth import Decision

    open_case, secret_case = "（2026）吉01民终505号", "（2026）吉01刑初506号"

    def allow(identity, action, case_number):
        assert action == "read_case"
        return identity.subject == "u-head" and case_number == open_case

    class Decider(FakeDecider):
        async def decide(self, identity, action, case_number, *, resource=None):
            if case_number == secret_case and not allow(identity, action, case_number):
                return Decision(allowed=False, reason="涉密", rule="吉高法〔2020〕11号 第十条; 法〔2016〕264号 二(三)")
            return await super().decide(identity, action, case_number, resource=resource)

    app = make_app(Decider(allow))
    closed_at = (datetime.now(SHANGHAI) - timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
    head = user("u-head", "department_head")
    async with running_app(app) as client:
        for case in (open_case, secret_case):
            await app.state.bus.publish(registered(case, closed_at - timedelta(days=21)))
            await app.state.bus.publish(closed(case, closed_at))

        async def both_running():
            n = await app.state.mongo.db["clocks"].count_documents({"case_id": {"$in": [open_case, secret_case]}})
            return n >= 2
        await eventually(both_running, what="clocks of both cases")

        r = await client.get(f"/v1/cases/{quote(open_case)}/deadlines", headers=head)
        assert r.status_code == 200 and r.json()["deadlines"], r.text
        r = await client.get(f"/v1/cases/{quote(open_case)}/deadlines", headers=user("u-outsider", "judge"))
        assert r.status_code == 403 and "第九条" in r.json()["rule"], r.text
        hidden = await client.get(f"/v1/cases/{quote(secret_case)}/deadlines", headers=head)
        nobody = await client.get(f"/v1/cases/{quote('（2026）吉01民终999号')}/deadlines", headers=head)
        assert hidden.status_code == nobody.status_code == 404
        assert "第十条" not in hidden.text and "rule" not in hidden.json()

        async def ledger():
            body = (await client.get(f"/v1/overdue?court={quote(COURT)}", headers=head)).json()
            return body if body["records"] else None
        body = await eventually(ledger, what="the overdue ledger")
        assert {r["case_id"] for r in body["records"]} == {open_case}
        assert body["totals"]["court"] == {COURT: len(body["records"])}

        mine = (await client.get("/v1/inbox?status=all", headers=user("u-asst"))).json()["items"]
        theirs = (await client.get("/v1/inbox?status=all", headers=user("u-outsider", "judge"))).json()["items"]
        assert theirs == [] or all(i["id"] not in {m["id"] for m in mine} for i in theirs)
        if mine:
            marked = await client.post("/v1/inbox/read", headers=user("u-outsider", "judge"), json={"all": True,
                                                                                                  "ids": [mine[0]["id"]]})
            assert marked.json() == {"marked": 0}
