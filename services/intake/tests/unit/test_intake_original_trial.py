"""Original-trial records: 吉高法〔2020〕11号 第三条(一) (submission) and 第三条(二) (link, return)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case
from juanzong_intake.domain.case_number import parse_original_case_number
from juanzong_intake.domain.errors import LinkError, ManifestError, SecretCaseRefused
from juanzong_intake.domain.original_trial import (
    SYSTEM_ACTOR,
    FoundRecord,
    LinkAction,
    LinkMethod,
    MissingKind,
    OriginalSubmission,
    OriginalTrialLinks,
    RecordKind,
    SubmissionManifest,
    auto_link,
    decide_return,
    link_manually,
    missing_items,
    original_refusal,
    ref_refusal,
    unlink,
    validate_manifest,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MakeCase = Callable[..., Case]
ORIGINAL = "（2019）吉0102民初88号"


def manifest_for(case: Case, t0: datetime, **overrides: object) -> SubmissionManifest:
    data: dict[str, object] = {
        "manifest_id": "M1", "case_number": case.key, "submitting_court": "吉0102", "submitted_at": t0,
        "submitted_by": "lower-clerk",
        "originals": (OriginalSubmission(original_case_number=ORIGINAL, e_dossier_refs=("ED-88",),
                                         e_archive_refs=("EA-88",), paper_volumes=2),),
    }
    data.update(overrides)
    return SubmissionManifest.model_validate(data)


def found(kind: RecordKind = RecordKind.E_DOSSIER, ref: str = "ED-88", number: str = ORIGINAL) -> FoundRecord:
    return FoundRecord(original_case_number=number, kind=kind, ref=ref, source="lower-court-system")


KNOWN = (found(), found(RecordKind.E_ARCHIVE, "EA-88"))  # what the system has seen of ORIGINAL


# 第三条(一): the submission manifest


def test_manifest_from_the_lower_court_is_accepted_第三条一(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    validate_manifest(manifest_for(case, t0), case)


def test_manifest_must_come_from_a_lower_court_第三条一(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    for court in ("吉0202", "吉01", "吉"):
        with pytest.raises(ManifestError) as caught:
            validate_manifest(manifest_for(case, t0, submitting_court=court), case)
        assert caught.value.field == "submitting_court"
    with pytest.raises(ManifestError) as unknown:
        validate_manifest(manifest_for(case, t0, submitting_court="吉99"), case)
    assert unknown.value.field == "submitting_court"


def test_manifest_originals_belong_to_the_submitting_court_第三条一(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    other = OriginalSubmission(original_case_number="（2019）吉0103民初5号", e_dossier_refs=("ED-5",))
    with pytest.raises(ManifestError) as caught:
        validate_manifest(manifest_for(case, t0, originals=(other,)), case)
    assert caught.value.field == "originals[0].original_case_number"


def test_appeal_original_comes_from_a_court_directly_below(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(case_number="（2020）吉民终7号", original_case_numbers=(ORIGINAL,))
    with pytest.raises(ManifestError) as caught:
        validate_manifest(manifest_for(case, t0), case)  # 吉0102 is two levels below 吉
    assert "直接下级" in caught.value.reason_zh


def test_retrial_may_list_the_first_and_second_instance(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(case_number="（2020）吉民申7号", original_case_numbers=("（2019）吉01民终3号", ORIGINAL))
    originals = (OriginalSubmission(original_case_number="（2019）吉01民终3号", e_dossier_refs=("ED-3",)),
                 OriginalSubmission(original_case_number=ORIGINAL, e_dossier_refs=("ED-88",)))
    validate_manifest(manifest_for(case, t0, submitting_court="吉01", originals=originals), case)


def test_manifest_for_another_case_is_refused(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    with pytest.raises(ManifestError) as caught:
        validate_manifest(manifest_for(make_case(case_number="（2020）吉01民终124号"), t0), case)
    assert caught.value.field == "case_number"


def test_manifest_shape_is_checked(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    with pytest.raises(ValidationError):
        manifest_for(case, t0, originals=())
    one = OriginalSubmission(original_case_number=ORIGINAL)
    with pytest.raises(ValidationError):
        manifest_for(case, t0, originals=(one, OriginalSubmission(original_case_number="(2019)吉0102民初88号")))
    with pytest.raises(ValidationError):
        manifest_for(case, t0, submitted_at=t0.replace(tzinfo=None))
    with pytest.raises(ValidationError):
        OriginalSubmission(original_case_number=ORIGINAL, paper_volumes=-1)


# 第三条(二): automatic and manual linking


def test_auto_link_by_case_number_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    result = auto_link(case, OriginalTrialLinks.empty(case),
                       [found(), found(RecordKind.E_ARCHIVE, "EA-88"),
                        found(number="(2019)吉0102民初89号", ref="ED-89")], t0)
    assert {(l.key, l.kind, l.ref) for l in result.links.links} == {
        (ORIGINAL, RecordKind.E_DOSSIER, "ED-88"), (ORIGINAL, RecordKind.E_ARCHIVE, "EA-88")}
    assert all(l.method is LinkMethod.AUTO and l.linked_by == SYSTEM_ACTOR for l in result.links.links)
    assert [r.ref for r in result.unmatched] == ["ED-89"]
    assert len(result.added) == 2 and all(r.action is LinkAction.LINKED for r in result.added)


def test_auto_link_matches_manifest_originals_and_spellings_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(original_case_numbers=())
    manifest = manifest_for(case, t0)
    result = auto_link(case, OriginalTrialLinks.empty(case), [found(number="(２０19)吉0102民初88号")], t0,
                       manifest=manifest)
    assert result.links.has(ORIGINAL, RecordKind.E_DOSSIER)


def test_auto_link_is_idempotent_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    first = auto_link(case, OriginalTrialLinks.empty(case), [found()], t0)
    again = auto_link(case, first.links, [found()], t0 + timedelta(minutes=1))
    assert again.added == () and again.links.links == first.links.links


def test_unlinked_record_is_not_relinked_automatically_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    linked = auto_link(case, OriginalTrialLinks.empty(case), [found()], t0).links
    removed, record = unlink(case, linked, ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by="clerk1",
                             reason="挂接的是另一案件的卷宗", at=t0 + timedelta(hours=1))
    assert record.action is LinkAction.UNLINKED and record.by == "clerk1" and record.method is LinkMethod.AUTO
    assert not removed.has(ORIGINAL, RecordKind.E_DOSSIER)
    again = auto_link(case, removed, [found()], t0 + timedelta(hours=2))
    assert again.added == () and [r.ref for r in again.kept_unlinked] == ["ED-88"]


def test_manual_link_records_who_and_why_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    links, record = link_manually(case, OriginalTrialLinks.empty(case), "(2019)吉0102民初88号",
                                  RecordKind.E_DOSSIER, "ED-88", by="clerk1", reason="系统未自动关联", at=t0,
                                  known=KNOWN)
    link = links.find(ORIGINAL, RecordKind.E_DOSSIER, "ED-88")
    assert link is not None and link.method is LinkMethod.MANUAL
    assert (link.linked_by, link.reason) == ("clerk1", "系统未自动关联")
    assert links.history == (record,)
    assert (record.by, record.reason, record.case_number) == ("clerk1", "系统未自动关联", case.key)


@pytest.mark.parametrize(("by", "reason", "field"), [("", "原因", "by"), ("clerk1", " ", "reason")])
def test_manual_link_needs_who_and_why_第三条二(make_case: MakeCase, t0: datetime, by: str, reason: str,
                                              field: str) -> None:
    case = make_case()
    with pytest.raises(LinkError) as caught:
        link_manually(case, OriginalTrialLinks.empty(case), ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by=by,
                      reason=reason, at=t0, known=KNOWN)
    assert caught.value.field == field
    with pytest.raises(LinkError):
        unlink(case, OriginalTrialLinks.empty(case), ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by=by,
               reason=reason, at=t0)


def test_manual_link_refusals(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    empty = OriginalTrialLinks.empty(case)
    with pytest.raises(LinkError) as not_original:
        link_manually(case, empty, "（2019）吉0102民初99号", RecordKind.E_DOSSIER, "X", by="c", reason="r", at=t0,
                      known=KNOWN)
    assert not_original.value.field == "original_case_number"
    with pytest.raises(LinkError) as paper:
        link_manually(case, empty, ORIGINAL, RecordKind.PAPER_ARCHIVE, "P1", by="c", reason="r", at=t0,
                      known=KNOWN)
    assert paper.value.field == "kind"
    links, _ = link_manually(case, empty, ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by="c", reason="r", at=t0,
                             known=KNOWN)
    with pytest.raises(LinkError):
        link_manually(case, links, ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by="c", reason="r", at=t0,
                      known=KNOWN)
    with pytest.raises(LinkError):
        unlink(case, links, ORIGINAL, RecordKind.E_ARCHIVE, "EA-88", by="c", reason="r", at=t0)
    other_case = make_case(case_number="（2020）吉01民终124号")
    with pytest.raises(LinkError):
        link_manually(other_case, links, ORIGINAL, RecordKind.E_ARCHIVE, "EA-88", by="c", reason="r", at=t0,
                      known=KNOWN)


def test_legacy_original_can_be_linked(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(case_number="（2020）吉民申8号", original_case_numbers=("(2012)长民一初字第123号",))
    result = auto_link(case, OriginalTrialLinks.empty(case),
                       [found(RecordKind.E_ARCHIVE, "EA-OLD", "（2012）长民一初字第123号")], t0)
    assert result.links.has("（2012）长民一初字第123号", RecordKind.E_ARCHIVE)


def test_secret_case_links_nothing_第十条(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(secret=True)
    with pytest.raises(SecretCaseRefused):
        auto_link(case, OriginalTrialLinks.empty(case), [found()], t0)
    with pytest.raises(SecretCaseRefused):
        link_manually(case, OriginalTrialLinks.empty(case), ORIGINAL, RecordKind.E_DOSSIER, "ED-88", by="c",
                      reason="r", at=t0, known=KNOWN)
    with pytest.raises(SecretCaseRefused):
        validate_manifest(manifest_for(case, t0), case)


# 第三条(二): a 原审 is the earlier instance of a lower court — a fact of the case, not a key to another one


@pytest.mark.parametrize(("case_number", "original", "refused_because"), [
    ("（2020）吉01民终123号", "（2019）吉0102民初88号", None),  # first instance, court directly below
    ("（2020）吉01民终123号", "（2020）吉01民终77号", "直接下级"),  # a same-court appeal is no original
    ("（2020）吉01民终123号", "（2019）吉01民初5号", "直接下级"),  # this court's own first instance
    ("（2020）吉01民终123号", "（2019）吉0202民初5号", "直接下级"),  # a court under another 中院
    ("（2020）吉01民终123号", "（2019）吉0102民终5号", "一审"),  # not a first-instance case
    ("（2020）吉01民终123号", "（2019）吉0102行初5号", "同一类"),  # administrative for a civil appeal
    ("（2020）吉01民终123号", "（2019）吉0102执5号", "同一类"),  # enforcement
    ("（2020）吉01民终123号", "（2021）吉0102民初5号", "晚于"),  # received after this case
    ("（2020）吉01民终123号", "（2012）长民一初字第123号", "现行案号"),  # no court code to check
    ("（2020）吉01民辖终1号", "（2020）吉0102民辖3号", None),  # jurisdiction appeal
    ("（2020）吉民申7号", "（2019）吉01民终3号", None),  # retrial review of a lower court's judgment
    ("（2020）吉民申7号", "（2018）吉0102民初3号", None),  # … and of its first instance
    ("（2020）吉01民再7号", "（2019）吉01民终3号", None),  # 本院再审 of this court's second instance
    ("（2020）吉01民再7号", "（2020）吉01民申2号", None),  # the review that ordered the retrial
    ("（2020）吉01民再7号", "（2019）吉01民再3号", "前一审级"),  # another retrial of this court
    ("（2020）吉01民申7号", "（2019）吉01民申3号", "前一审级"),
    ("（2020）吉01民再7号", "（2019）吉民终3号", "本院或下级"),  # a higher court's case
    ("（2020）吉01民再7号", "（2019）吉0102财保3号", "同一类"),
    ("（2020）吉民申8号", "（2012）长民一初字第123号", None),  # 申诉 of an old case
    ("（2020）吉0102民初9号", "（2019）吉0102民初5号", "没有原审"),  # a first instance has no original
])
def test_an_original_is_an_earlier_instance_of_a_lower_court_第三条二(
        make_case: MakeCase, case_number: str, original: str, refused_because: str | None) -> None:
    case = make_case(case_number=case_number, original_case_numbers=())
    reason = original_refusal(case, parse_original_case_number(original))
    if refused_because is None:
        assert reason is None
    else:
        assert reason is not None and refused_because in reason


def test_manifest_refuses_an_original_that_is_not_one_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    other = OriginalSubmission(original_case_number="（2019）吉0102执5号", e_dossier_refs=("ED-5",))
    with pytest.raises(ManifestError) as caught:
        validate_manifest(manifest_for(case, t0, originals=(other,)), case)
    assert caught.value.field == "originals[0].original_case_number"
    assert caught.value.article == articles.ART3_2


def test_auto_link_never_links_what_cannot_be_an_original_第三条二(make_case: MakeCase, t0: datetime) -> None:
    """A case registered before the rule that names a same-court appeal gets no link to it."""
    case = make_case(original_case_numbers=("（2019）吉01民终3号",))
    result = auto_link(case, OriginalTrialLinks.empty(case),
                       [found(number="（2019）吉01民终3号", ref="e-dossier:（2019）吉01民终3号")], t0)
    assert result.added == () and result.links.links == ()
    assert [r.ref for r in result.refused] == ["e-dossier:（2019）吉01民终3号"]


def test_manual_link_needs_a_real_reference_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    empty = OriginalTrialLinks.empty(case)
    ours = found(ref=f"e-dossier:{ORIGINAL}")
    known = (*KNOWN, ours)
    for ref in ("随便写的标识", "ED 88", "e-dossier:（2019）吉0102民初89号", "EA-88"):
        with pytest.raises(LinkError) as caught:
            link_manually(case, empty, ORIGINAL, RecordKind.E_DOSSIER, ref, by="c", reason="r", at=t0, known=known)
        assert caught.value.field == "ref" and caught.value.article == articles.ART3_2
    links, _ = link_manually(case, empty, ORIGINAL, RecordKind.E_DOSSIER, ours.ref, by="c", reason="r", at=t0,
                             known=known)
    assert links.has(ORIGINAL, RecordKind.E_DOSSIER)
    number = parse_original_case_number(ORIGINAL)
    assert ref_refusal(number, RecordKind.E_ARCHIVE, ours.ref, known) is not None  # a dossier is no archive
    assert ref_refusal(number, RecordKind.E_ARCHIVE, "EA-88", known) is None


def test_manual_link_to_an_original_that_is_not_one_is_refused_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(original_case_numbers=("（2019）吉01民终3号",))  # registered before the rule
    record = found(number="（2019）吉01民终3号", ref="e-dossier:（2019）吉01民终3号")
    with pytest.raises(LinkError) as caught:
        link_manually(case, OriginalTrialLinks.empty(case), "（2019）吉01民终3号", RecordKind.E_DOSSIER, record.ref,
                      by="c", reason="r", at=t0, known=(record,))
    assert caught.value.field == "original_case_number" and caught.value.article == articles.ART3_2


# Missing-items report and return to the lower court


def test_missing_report_lists_every_gap_第三条一(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    manifest = manifest_for(case, t0, originals=(
        OriginalSubmission(original_case_number=ORIGINAL, e_dossier_refs=("ED-88",), paper_volumes=0),))
    report = missing_items(case, OriginalTrialLinks.empty(case), manifest)
    kinds = {(m.kind, m.blocking) for m in report.missing}
    assert kinds == {(MissingKind.E_DOSSIER, True), (MissingKind.E_ARCHIVE, False),
                     (MissingKind.PAPER_ARCHIVE, False), (MissingKind.LISTED_NOT_LINKED, False)}
    assert not report.complete and report.required
    assert report.originals[0].in_manifest and report.originals[0].paper_volumes == 0


def test_missing_report_complete_after_linking(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    manifest = manifest_for(case, t0)
    links = auto_link(case, OriginalTrialLinks.empty(case),
                      [found(), found(RecordKind.E_ARCHIVE, "EA-88")], t0, manifest=manifest).links
    report = missing_items(case, links, manifest)
    assert report.complete and report.missing == ()
    assert report.originals[0].e_dossier_refs == ("ED-88",)


def test_missing_report_without_manifest_or_originals(make_case: MakeCase) -> None:
    case = make_case(original_case_numbers=())
    report = missing_items(case, OriginalTrialLinks.empty(case))
    assert {m.kind for m in report.missing} == {MissingKind.NO_ORIGINALS, MissingKind.NO_MANIFEST}
    first = make_case(case_number="（2020）吉0102民初9号", original_case_numbers=())
    assert missing_items(first, OriginalTrialLinks.empty(first)).complete


def test_appeal_without_original_e_dossier_is_returned_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    manifest = manifest_for(case, t0)
    links = auto_link(case, OriginalTrialLinks.empty(case), [found(RecordKind.E_ARCHIVE, "EA-88")], t0,
                      manifest=manifest).links
    decision = decide_return(case, links, manifest)
    assert decision.return_to_lower_court
    assert decision.lower_court == "吉0102"
    assert decision.article == articles.ART3_2
    assert [m.kind for m in decision.missing] == [MissingKind.E_DOSSIER]
    assert ORIGINAL in decision.reason_zh and "退回原审法院" in decision.reason_zh
    assert decision.missing_zh() == [f"原审案件{ORIGINAL}的电子卷宗未挂接"]


def test_appeal_with_original_e_dossier_is_kept_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case()
    links = auto_link(case, OriginalTrialLinks.empty(case), [found()], t0).links
    decision = decide_return(case, links)  # an appeal's original e-archive may not exist yet
    assert not decision.return_to_lower_court


def test_retrial_also_needs_the_original_e_archive_第三条二(make_case: MakeCase, t0: datetime) -> None:
    case = make_case(case_number="（2020）吉民申8号", original_case_numbers=("（2019）吉01民终3号",))
    links = auto_link(case, OriginalTrialLinks.empty(case), [found(number="（2019）吉01民终3号")], t0).links
    decision = decide_return(case, links)
    assert decision.return_to_lower_court and decision.lower_court == "吉01"
    assert [m.kind for m in decision.missing] == [MissingKind.E_ARCHIVE]
    assert not decide_return(case, links, require_e_archive=False).return_to_lower_court


def test_appeal_without_any_original_is_returned_第三条二(make_case: MakeCase) -> None:
    case = make_case(original_case_numbers=())
    decision = decide_return(case, OriginalTrialLinks.empty(case))
    assert decision.return_to_lower_court and decision.lower_court is None
    assert [m.kind for m in decision.missing] == [MissingKind.NO_ORIGINALS]


def test_first_instance_is_never_returned_第三条一(make_case: MakeCase) -> None:
    case = make_case(case_number="（2020）吉0102民初9号", original_case_numbers=())
    assert not decide_return(case, OriginalTrialLinks.empty(case)).return_to_lower_court


def test_secret_appeal_is_not_returned_第十条(make_case: MakeCase) -> None:
    case = make_case(secret=True)
    decision = decide_return(case, OriginalTrialLinks.empty(case))
    assert not decision.return_to_lower_court and decision.article == articles.ART10


def test_criminal_appeal_is_outside_the_flow_第十四条(make_case: MakeCase) -> None:
    case = make_case(case_number="（2020）吉01刑终5号", original_case_numbers=("（2019）吉0102刑初7号",))
    decision = decide_return(case, OriginalTrialLinks.empty(case))
    assert not decision.return_to_lower_court and decision.article == articles.ART14
