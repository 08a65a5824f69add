"""Need to know in the notifier (issue 20 item 10) and who may add to the indicators (item 13), without I/O."""

import pytest
from juanzong_notifier.domain.access import DEFAULT_REPORTERS, indicator_report_refusal, invisible
from juanzong_notifier.service_layer.access import readable_cases, require_case
from juanzong_shared.app import problem_of
from juanzong_shared.auth import Decision, Identity, Obligation
from juanzong_shared.errors import DomainError

pytestmark = pytest.mark.unit

SECRET_RULE = "吉高法〔2020〕11号 第十条; 法〔2016〕264号 二(三)"
NEED_TO_KNOW = "吉高法〔2020〕11号 第九条第2项"
OPEN, SECRET, OTHER = "（2026）吉01民终1号", "（2026）吉01刑初2号", "（2026）吉01民终3号"


class Decider:
    """access-control's read_case answers for three cases: one readable, one 涉密, one need-to-know no."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    async def decide(self, identity, action, case_number, *, resource=None):
        self.asked.append((identity.subject, action, case_number))
        if case_number == OPEN:
            return Decision(allowed=True, reason="本案办案团队", rule=NEED_TO_KNOW,
                            obligations=(Obligation(kind="record_access"),))
        if case_number == SECRET:
            return Decision(allowed=False, reason="涉密", rule=SECRET_RULE)
        return Decision(allowed=False, reason="限于办案团队", rule=NEED_TO_KNOW)


JUDGE = Identity(subject="u-judge", court="吉01", roles=("judge",))
STATION = Identity(subject="station-01", court="吉01", kind="station", scopes=("scan:submit",))


async def status_of(coro) -> tuple[int, dict]:
    try:
        await coro
    except DomainError as error:
        problem = problem_of(error)
        return problem.status, problem.body()
    return 200, {}


async def test_a_readable_case_passes_and_is_asked_as_read_case():
    decider = Decider()
    await require_case(decider, JUDGE, OPEN, known=True)
    assert decider.asked == [("u-judge", "read_case", OPEN)]


async def test_a_secret_case_is_not_found_like_an_unknown_one():
    """吉高法〔2020〕11号 第十条: outside its team a 涉密 case does not exist — the answer is the one an unknown case
    gets, word for word, and names no article that would give it away."""
    secret = await status_of(require_case(Decider(), STATION, SECRET, known=True))
    unknown = await status_of(require_case(Decider(), STATION, OTHER, known=False))
    assert secret[0] == unknown[0] == 404
    assert "第十条" not in str(secret[1])
    assert secret[1]["detail"].replace(SECRET, "X") == unknown[1]["detail"].replace(OTHER, "X")


async def test_a_known_case_the_caller_may_not_read_is_refused_naming_the_rule():
    status, body = await status_of(require_case(Decider(), STATION, OTHER, known=True))
    assert status == 403 and body["rule"] == NEED_TO_KNOW


async def test_a_list_keeps_only_the_cases_the_caller_may_read():
    decider = Decider()
    assert await readable_cases(decider, JUDGE, [OPEN, SECRET, OTHER, OPEN]) == {OPEN}
    assert sorted(c for _, _, c in decider.asked) == sorted([OPEN, SECRET, OTHER])


async def test_a_yes_with_an_obligation_the_notifier_cannot_carry_out_shows_nothing():
    class Strange(Decider):
        async def decide(self, identity, action, case_number, *, resource=None):
            return Decision(allowed=True, reason="ok", rule=NEED_TO_KNOW, obligations=(Obligation(kind="watermark"),))

    assert await readable_cases(Strange(), JUDGE, [OPEN]) == set()
    assert (await status_of(require_case(Strange(), JUDGE, OPEN, known=True)))[0] == 403


def test_only_a_secrecy_refusal_is_invisible():
    assert invisible(Decision(allowed=False, reason="", rule=SECRET_RULE))
    assert not invisible(Decision(allowed=False, reason="", rule=NEED_TO_KNOW))
    assert not invisible(Decision(allowed=True, reason="", rule=SECRET_RULE))


# -- indicator facts (吉高院通报29期 (四)) ----------------------------------------------------------------


def service(subject: str, *scopes: str, court: str = "吉01") -> Identity:
    return Identity(subject=subject, court=court, kind="service", scopes=scopes)


@pytest.mark.parametrize("identity, event_type, court", [
    (service("smart-trial", "indicators:report"), "trial.smart_session.held", "吉01"),
    (service("document-assist", "indicators:report"), "document.assisted.generated", "吉01"),
    (service("smart-trial", "indicators:report@吉02"), "trial.smart_session.held", "吉02"),
    (Identity(subject="u-tech", court="吉01", roles=("technology_office_staff",)), "trial.smart_session.held", "吉01"),
])
def test_the_reporting_system_or_the_courts_technology_office_may_report(identity, event_type, court):
    assert indicator_report_refusal(identity, event_type, court, DEFAULT_REPORTERS) is None


@pytest.mark.parametrize("identity, event_type, court", [
    (service("catalog", "dossier:read_text"), "trial.smart_session.held", "吉01"),  # any other service account
    (service("catalog", "indicators:report"), "trial.smart_session.held", "吉01"),  # scope alone is not enough
    (service("smart-trial"), "trial.smart_session.held", "吉01"),  # listed, but without the scope
    (service("smart-trial", "indicators:report"), "document.assisted.generated", "吉01"),  # not what it reports
    (service("smart-trial", "indicators:report"), "trial.smart_session.held", "吉02"),  # another court
    (service("smart-trial", "indicators:report@吉02"), "trial.smart_session.held", "吉01"),
    (Identity(subject="station-01", court="吉01", kind="station", scopes=("scan:submit",)),
     "trial.smart_session.held", "吉01"),
    (Identity(subject="u-judge", court="吉01", roles=("judge", "presiding_judge")), "trial.smart_session.held", "吉01"),
    (Identity(subject="u-tech", court="吉01", roles=("technology_office_staff",)), "trial.smart_session.held", "吉02"),
])
def test_anyone_else_may_not(identity, event_type, court):
    assert indicator_report_refusal(identity, event_type, court, DEFAULT_REPORTERS)


async def test_a_case_registered_secret_is_not_found_whatever_rule_refused():
    """A station is refused every case record under 第四条(一)3 before secrecy is even looked at; for a case the
    notifier knows to be 涉密 that refusal must still read as "no such case" (第十条)."""
    class StationRule(Decider):
        async def decide(self, identity, action, case_number, *, resource=None):
            return Decision(allowed=False, reason="扫描工位", rule="吉高法〔2020〕11号 第四条(一)3")

    status, body = await status_of(require_case(StationRule(), STATION, SECRET, known=True, secret=True))
    assert status == 404 and "rule" not in body
    status, body = await status_of(require_case(StationRule(), STATION, OPEN, known=True, secret=False))
    assert status == 403 and "第四条" in body["rule"]


def test_a_delivery_of_a_case_the_caller_may_not_read_shows_how_it_went_not_what_it_said():
    """The delivery log (technology office) keeps its use — state, attempts, results — but a notice of a case the
    caller may not read (第九条) says nothing of it: no case number, title, body, and an opaque id (the real id
    names the case)."""
    from juanzong_notifier.service_layer.reminders import _delivery_out

    doc = {"id": f"吉01/{SECRET}/closing_filing/x/overdue/0|u-head|webhook", "notification_id": f"吉01/{SECRET}/...",
           "user_id": "u-head", "kind": "overdue", "title": "【超期】电子卷宗结案立卷", "body": f"案件{SECRET}：…",
           "court": "吉01", "case_id": SECRET, "rule_id": "closing_filing", "citation": "吉高法〔2020〕11号 第五条(四)",
           "channel": "webhook", "address": "https://oa.court.test/hook", "state": "failed", "attempts": 5,
           "log": [{"attempt": 5, "ok": False, "result": "HTTP 500"}]}
    shown = _delivery_out(dict(doc), True)
    assert shown["id"] == doc["id"] and shown["case_id"] == SECRET
    withheld = _delivery_out(dict(doc), False)
    assert withheld["withheld"] is True and withheld["state"] == "failed" and withheld["attempts"] == 5
    assert SECRET not in str(withheld) and "立卷" not in str(withheld)
    assert withheld["id"] == _delivery_out(dict(doc), False)["id"] != doc["id"]
