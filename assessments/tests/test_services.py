from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessments import selectors, services
from assessments.models import Answer, AnswerRevision, AssessmentStatus, ScoreComponent
from assessments.services import Proposed

from .factories import answer_mandatory, contributor, lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(framework):
    the_lead = lead()
    colleague = contributor(the_lead.issuer)
    assessment = services.assessment_start(user=the_lead, framework=framework)
    fw = selectors.framework_of(framework)
    return the_lead, colleague, assessment, fw


def answer(assessment, code) -> Answer:
    return Answer.objects.select_related("updated_by").get(assessment=assessment, item__code=code)


def maturity_codes(fw, n=2):
    return [i.code for i in fw.iter_items() if i.kind == "maturity"][:n]


def test_start_creates_one_empty_answer_per_item_and_reuses_the_open_one(setup, framework):
    _, colleague, assessment, fw = setup
    assert assessment.answers.count() == len(fw.items)
    assert services.assessment_start(user=colleague, framework=framework) == assessment


def test_contributor_cannot_start_a_new_assessment(framework):
    the_lead = lead()
    with pytest.raises(PermissionDenied):
        services.assessment_start(user=contributor(the_lead.issuer), framework=framework)


def test_save_writes_and_records_who_and_version(setup):
    the_lead, _, assessment, fw = setup
    code = maturity_codes(fw, 1)[0]
    outcome = services.answers_save(
        assessment=assessment,
        proposals={code: Proposed(level=3, note="Board paper 2026-03")},
        user=the_lead,
    )
    assert outcome.saved == [code]
    saved = answer(assessment, code)
    assert (saved.level, saved.note, saved.version, saved.updated_by) == (
        3,
        "Board paper 2026-03",
        1,
        the_lead,
    )
    assert AnswerRevision.objects.filter(answer=saved, applied=True, version=1, level=3).exists()


def test_saving_the_same_value_again_changes_nothing(setup):
    the_lead, _, assessment, fw = setup
    code = maturity_codes(fw, 1)[0]
    services.answers_save(assessment=assessment, proposals={code: Proposed(level=3)}, user=the_lead)
    outcome = services.answers_save(
        assessment=assessment, proposals={code: Proposed(level=3, base_version=1)}, user=the_lead
    )
    assert outcome.unchanged == [code] and not outcome.saved
    assert answer(assessment, code).version == 1


def test_two_people_changing_different_items_both_persist(setup):
    the_lead, colleague, assessment, fw = setup
    a, b = maturity_codes(fw, 2)
    # Both loaded the page at version 0 and each changed a different item;
    # each browser posts the whole step, including the item it did not touch.
    services.answers_save(
        assessment=assessment, proposals={a: Proposed(level=4), b: Proposed()}, user=the_lead
    )
    outcome = services.answers_save(
        assessment=assessment, proposals={a: Proposed(), b: Proposed(level=2)}, user=colleague
    )
    assert outcome.saved == [b] and outcome.unchanged == [a] and not outcome.conflicts
    assert answer(assessment, a).level == 4
    assert answer(assessment, b).level == 2


def test_untouched_item_at_an_old_version_does_not_overwrite_a_newer_value(setup):
    the_lead, colleague, assessment, fw = setup
    a = maturity_codes(fw, 1)[0]
    services.answers_save(assessment=assessment, proposals={a: Proposed(level=2)}, user=the_lead)
    services.answers_save(
        assessment=assessment, proposals={a: Proposed(level=3, base_version=1)}, user=colleague
    )
    # The lead's page still shows level 2 at version 1 and posts it back untouched.
    outcome = services.answers_save(
        assessment=assessment, proposals={a: Proposed(level=2, base_version=1)}, user=the_lead
    )
    assert outcome.unchanged == [a] and not outcome.conflicts
    assert answer(assessment, a).level == 3


def test_same_item_changed_concurrently_is_a_conflict_that_loses_neither(setup):
    the_lead, colleague, assessment, fw = setup
    a = maturity_codes(fw, 1)[0]
    services.answers_save(
        assessment=assessment, proposals={a: Proposed(level=4, note="lead's view")}, user=the_lead
    )
    outcome = services.answers_save(
        assessment=assessment,
        proposals={a: Proposed(level=2, note="contributor's view", base_version=0)},
        user=colleague,
    )
    assert [c.item_code for c in outcome.conflicts] == [a]
    conflict = outcome.conflicts[0]
    assert conflict.theirs.level == 4 and conflict.mine.level == 2
    stored = answer(assessment, a)
    assert (stored.level, stored.note) == (4, "lead's view")  # first writer kept
    pending = selectors.open_conflicts(assessment)[a]
    assert [(r.level, r.note, r.user) for r in pending] == [(2, "contributor's view", colleague)]
    # Re-saving against the current version settles it (the contributor keeps theirs).
    services.answers_save(
        assessment=assessment, proposals={a: Proposed(level=2, base_version=1)}, user=colleague
    )
    assert answer(assessment, a).level == 2
    assert selectors.open_conflicts(assessment) == {}


def test_figures_and_dont_know_are_stored(setup):
    the_lead, _, assessment, fw = setup
    figure = next(i for i in fw.iter_items() if i.kind == "figure")
    choice = next(i for i in fw.iter_items() if i.kind == "choice")
    services.answers_save(
        assessment=assessment,
        proposals={
            figure.code: Proposed(number=Decimal("12.5")),
            choice.code: Proposed(dont_know=True),
        },
        user=the_lead,
    )
    assert answer(assessment, figure.code).number == Decimal("12.5")
    assert answer(assessment, choice.code).dont_know is True


def test_unknown_item_codes_are_ignored(setup):
    the_lead, _, assessment, _fw = setup
    outcome = services.answers_save(
        assessment=assessment, proposals={"no.such.item": Proposed(level=5)}, user=the_lead
    )
    assert not outcome.saved and not outcome.conflicts


def test_submit_refuses_while_mandatory_items_are_missing(setup):
    the_lead, _, assessment, fw = setup
    with pytest.raises(services.SubmitError) as exc:
        services.assessment_submit(assessment=assessment, user=the_lead)
    assert len(exc.value.missing) == sum(1 for i in fw.iter_items() if i.mandatory)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_contributor_cannot_submit(setup):
    the_lead, colleague, assessment, _fw = setup
    answer_mandatory(assessment, the_lead, level=3, option=-1)
    with pytest.raises(PermissionDenied):
        services.assessment_submit(assessment=assessment, user=colleague)


def test_submit_stores_a_snapshot_with_the_framework_version_and_locks(setup, framework):
    the_lead, _, assessment, fw = setup
    answer_mandatory(assessment, the_lead, level=3, option=-1)
    snapshot = services.assessment_submit(assessment=assessment, user=the_lead)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.submitted_by == the_lead
    assert snapshot.framework == framework
    assert snapshot.result["framework_version"] == framework.version
    assert snapshot.maturity_level == snapshot.result["level"]
    assert float(snapshot.overall_score) == snapshot.result["overall"]
    shift_rows = ScoreComponent.objects.filter(snapshot=snapshot, kind="shift")
    assert sorted(shift_rows.values_list("code", flat=True)) == sorted(s.code for s in fw.shifts)
    snapshot.refresh_from_db()
    assert snapshot.shift_scores == {
        row.code: None if row.score is None else float(row.score) for row in shift_rows
    }
    code = maturity_codes(fw, 1)[0]
    with pytest.raises(services.AssessmentLocked):
        services.answers_save(
            assessment=assessment,
            proposals={code: Proposed(level=5, base_version=1)},
            user=the_lead,
        )
    assert answer(assessment, code).level == 3
    with pytest.raises(services.AssessmentLocked):
        services.assessment_submit(assessment=assessment, user=the_lead)


def test_dont_know_satisfies_mandatory_for_submission(setup):
    the_lead, _, assessment, fw = setup
    answer_mandatory(assessment, the_lead, level=3, option=-1)
    code = maturity_codes(fw, 1)[0]
    services.answers_save(
        assessment=assessment,
        proposals={code: Proposed(dont_know=True, base_version=1)},
        user=the_lead,
    )
    snapshot = services.assessment_submit(assessment=assessment, user=the_lead)
    gaps = {g["item"]: g["reason"] for g in snapshot.result["completeness"]["gaps"]}
    assert gaps[code] == "dont_know"


def test_issuer_profile_confirm_needs_the_lead(setup):
    the_lead, colleague, _, _ = setup
    with pytest.raises(PermissionDenied):
        services.issuer_profile_confirm(
            issuer=the_lead.issuer, user=colleague, data={"name_en": "X"}
        )
    services.issuer_profile_confirm(
        issuer=the_lead.issuer, user=the_lead, data={"name_en": "New Name Ltd"}
    )
    the_lead.issuer.refresh_from_db()
    assert the_lead.issuer.name_en == "New Name Ltd" and the_lead.issuer.profile_confirmed_at
