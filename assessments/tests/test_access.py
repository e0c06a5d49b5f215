"""The access policy (`assessments/access.py`) as one table: person × object × predicate.

Columns are people, each in a relationship to the objects: issuer A's contributor and
lead, the lead of issuer B, the reviewer assigned to cohort A and the one assigned to
cohort B, an admin, and the refused: anonymous, a deactivated lead of A and a deactivated
admin. Rows are a predicate on one object:

- assessments of issuer A in cohort A, in each status (draft, submitted, returned,
  approved), and a draft of issuer A in no cohort (`nocohort`);
- the same draft at other points of the cohort calendar: before the round opens
  (`before_open`), after its closing date (`after_close`), after it with an extension
  still running (`extended`), with the cohort set to Closed (`closed_status`, and
  `closed_extended` with an extension), and withdrawn from the cohort (`withdrawn`);
- cohort A (`own`: the cohort of A's assessments and of reviewer `rev`) and cohort B
  (`other`: reviewer `rev_b`'s);
- issuer A (`own`) and issuer B (`other`);
- `-` for the rules that need no object.

`dual` is the lead of A who is also a contributor of B and has B selected; `pend` the
lead of B whose invitation to A (by A's lead) is not accepted yet.

`x` allows, `.` refuses. Every public `can_*` predicate must have exactly its rows
(`test_every_predicate_has_all_its_rows`), so a new rule cannot ship without a line here.
The URL-level matrix (tests/security/test_access_matrix.py) checks the pages on top.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Issuer, Membership, MembershipRole
from assessments import access
from assessments.models import Assessment, AssessmentStatus
from assessments.services import FRAMEWORK_DIR, framework_load

from .factories import CohortFactory, IssuerFactory, association_admin, contributor, lead, reviewer

pytestmark = pytest.mark.django_db

PEOPLE = ("anon", "off", "con", "lead", "lead_b", "rev", "rev_b", "adm", "adm_off", "dual", "pend")

ASSESSMENT_VARIANTS = (
    "draft",
    "submitted",
    "returned",
    "approved",
    "nocohort",
    "before_open",
    "after_close",
    "extended",
    "closed_status",
    "closed_extended",
    "withdrawn",
)
CALENDAR_CLOSED = ("before_open", "after_close", "closed_status", "withdrawn")
COHORT_VARIANTS = ("own", "other")
ISSUER_VARIANTS = ("own", "other")
NO_OBJECT = ("-",)

# fmt: off
#                      anon off con lead lead_b rev rev_b adm adm_off dual pend
SEES_A =              " .    .   x   x    .      x   .     x   .       x    .  "
SEES_A_NO_COHORT =    " .    .   x   x    .      .   .     x   .       x    .  "
RESPONDENTS =         " .    .   x   x    .      .   .     .   .       x    .  "
NOBODY =              " .    .   .   .    .      .   .     .   .       .    .  "
LEAD_A =              " .    .   .   x    .      .   .     .   .       x    .  "
REVIEWS_A =           " .    .   .   .    .      x   .     x   .       .    .  "
ADMIN =               " .    .   .   .    .      .   .     x   .       .    .  "
LEAD_OR_REVIEWS_A =   " .    .   .   x    .      x   .     x   .       x    .  "
LEAD_OR_ADMIN =       " .    .   .   x    .      .   .     x   .       x    .  "
LEAD_B_OR_ADMIN =     " .    .   .   .    x      .   .     x   .       .    x  "
SEES_COHORT_B =       " .    .   .   .    .      .   x     x   .       .    .  "
LEAD_B =              " .    .   .   .    x      .   .     .   .       .    x  "
ISSUER_STAFF =        " .    .   x   x    x      .   .     .   .       x    x  "
ISSUER_LEADS =        " .    .   .   x    x      .   .     .   .       .    x  "
ASSOCIATION =         " .    .   .   .    .      x   x     x   .       .    .  "
SIGNED_IN =           " .    .   x   x    x      x   x     x   .       x    x  "


def seen_like_a() -> dict[str, str]:
    """Every variant of A's assessment as the people who see it (`nocohort`: no reviewer)."""
    return dict.fromkeys(ASSESSMENT_VARIANTS, SEES_A) | {"nocohort": SEES_A_NO_COHORT}


def every_variant(cells: str) -> dict[str, str]:
    return dict.fromkeys(ASSESSMENT_VARIANTS, cells)


def open_only(cells: str) -> dict[str, str]:
    """Allowed while the assessment is a draft or returned and its calendar takes answers,
    refused once submitted, before the round opens, after it closed (unless extended) and
    once withdrawn."""
    closed = dict.fromkeys(CALENDAR_CLOSED, NOBODY)
    return every_variant(cells) | {"submitted": NOBODY, "approved": NOBODY} | closed


TABLE: dict[str, dict[str, str]] = {
    # one assessment
    "can_view":            seen_like_a(),
    "can_view_results":    seen_like_a(),
    "can_request_report":  seen_like_a(),
    "can_download_report": seen_like_a(),
    "can_answer":          every_variant(RESPONDENTS),
    "can_edit":            open_only(RESPONDENTS),
    "can_edit_profile":    open_only(LEAD_A),
    "can_submit":          every_variant(LEAD_A),   # open or not: AssessmentLocked says so
    "can_manage_calendar": every_variant(ADMIN) | {"nocohort": NOBODY},
    "can_review":          every_variant(REVIEWS_A) | {"nocohort": ADMIN},
    "can_comment":         every_variant(REVIEWS_A) | {"nocohort": ADMIN},
    "can_view_history":    every_variant(LEAD_OR_REVIEWS_A) | {"nocohort": LEAD_OR_ADMIN},
    # one issuer
    "can_confirm_profile": {"own": LEAD_A, "other": LEAD_B},
    "can_add_contact":     {"own": LEAD_OR_ADMIN, "other": LEAD_B_OR_ADMIN},
    # one cohort
    "can_view_cohort":             {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_export":                  {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_request_cohort_reports":  {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_download_cohort_reports": {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_request_cohort_index_report":  {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_download_cohort_index_report": {"own": REVIEWS_A, "other": SEES_COHORT_B},
    "can_manage_cohort":           {"own": ADMIN, "other": ADMIN},
    "can_enrol":                   {"own": ADMIN, "other": ADMIN},
    "can_send_reminders":          {"own": ADMIN, "other": ADMIN},
    "can_view_email_log":          {"own": ADMIN, "other": ADMIN},
    "can_view_invitations":        {"own": ADMIN, "other": ADMIN},
    # no object
    "can_start":              {"-": ISSUER_STAFF},
    "can_start_new":          {"-": ISSUER_LEADS},
    "can_view_team":          {"-": ISSUER_STAFF},
    "can_invite_colleague":   {"-": ISSUER_LEADS},
    "can_list_cohorts":       {"-": ASSOCIATION},
    "can_review_submissions": {"-": ASSOCIATION},
    "can_create_cohort":      {"-": ADMIN},
    "can_resend_invitation":  {"-": ADMIN},
    "can_export_personal_data": {"-": ADMIN},
    "can_use_api":            {"-": SIGNED_IN},
    "can_anonymise_person":     {"-": ADMIN},
    "can_reset_second_factor": {"-": ADMIN},
}
# fmt: on


def predicates() -> dict[str, Callable[..., bool]]:
    return {name: getattr(access, name) for name in access.__all__ if name.startswith("can_")}


def object_kind(predicate: Callable[..., bool]) -> str:
    """Which object a predicate takes, from its keyword parameters."""
    params = set(inspect.signature(predicate).parameters) - {"user"}
    assert len(params) <= 1, params
    return params.pop() if params else "-"


VARIANTS = {
    "assessment": ASSESSMENT_VARIANTS,
    "cohort": COHORT_VARIANTS,
    "issuer": ISSUER_VARIANTS,
    "-": NO_OBJECT,
}


def cells(row: str) -> dict[str, bool]:
    marks = row.split()
    assert len(marks) == len(PEOPLE) and set(marks) <= {"x", "."}, row
    return {person: mark == "x" for person, mark in zip(PEOPLE, marks, strict=True)}


def test_every_predicate_has_all_its_rows():
    """A predicate without its rows (or a row for a predicate that is gone) fails here."""
    found = predicates()
    assert set(TABLE) == set(found), {
        "predicates without rows": sorted(set(found) - set(TABLE)),
        "rows without a predicate": sorted(set(TABLE) - set(found)),
    }
    for name, predicate in found.items():
        assert set(TABLE[name]) == set(VARIANTS[object_kind(predicate)]), name
        for row in TABLE[name].values():
            cells(row)


@dataclass
class World:
    people: dict[str, Any]
    objects: dict[str, dict[str, Any]]


@pytest.fixture
def world() -> World:
    framework, _ = framework_load(path=FRAMEWORK_DIR / "v1.yaml")
    issuer_a, issuer_b = cast(Issuer, IssuerFactory()), cast(Issuer, IssuerFactory())
    # Any: the cohort model belongs to `cohorts`, above this app (no import from here).
    cohort_a: Any = CohortFactory(framework=framework)
    cohort_b: Any = CohortFactory(framework=framework)
    people: dict[str, Any] = {
        "anon": AnonymousUser(),
        "off": lead(issuer_a, is_active=False),
        "con": contributor(issuer_a),
        "lead": lead(issuer_a),
        "lead_b": lead(issuer_b),
        "rev": reviewer(),
        "rev_b": reviewer(),
        "adm": association_admin(),
        "adm_off": association_admin(is_active=False),
        # Lead of A and contributor of B, with B selected: A's lead rights come through
        # a membership that is not the selected one; the no-object rules follow B.
        "dual": contributor(issuer_b),
        # Lead of B whom A's lead invited: a pending membership grants nothing at A.
        "pend": lead(issuer_b),
    }
    Membership.objects.create(user=people["dual"], issuer=issuer_a, role=MembershipRole.LEAD)
    Membership.objects.create(
        user=people["pend"], issuer=issuer_a, role=MembershipRole.CONTRIBUTOR, is_active=False
    )
    cohort_a.reviewers.add(people["rev"])
    cohort_b.reviewers.add(people["rev_b"])

    in_a = Assessment.objects.create(issuer=issuer_a, framework=framework, cohort=cohort_a)
    nocohort = Assessment.objects.create(issuer=issuer_a, framework=framework, cohort=None)
    # Issuer B's, for the lists only (its rows are the mirror of A's).
    Assessment.objects.create(issuer=issuer_b, framework=framework, cohort=cohort_b)

    def in_status(status: str, **changes: Any) -> Assessment:
        # One assessment per issuer and cohort: each status is A's assessment as loaded
        # while in that status (the predicates read the loaded row, as views do); the
        # calendar variants change its cohort's loaded row the same way.
        a = Assessment.objects.select_related("cohort").get(pk=in_a.pk)
        a.status = status
        for name, value in changes.items():
            target = a.cohort if name.startswith("cohort_") else a
            setattr(target, name.removeprefix("cohort_"), value)
        return a

    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    draft = AssessmentStatus.DRAFT

    assessments = {
        "draft": in_status(AssessmentStatus.DRAFT),
        "submitted": in_status(AssessmentStatus.SUBMITTED),
        "returned": in_status(AssessmentStatus.RETURNED),
        "approved": in_status(AssessmentStatus.APPROVED),
        "nocohort": nocohort,
        "before_open": in_status(draft, cohort_opens_on=today + day),
        "after_close": in_status(draft, cohort_closes_on=today - day),
        "extended": in_status(draft, cohort_closes_on=today - day, extended_until=today),
        "closed_status": in_status(draft, cohort_status="closed"),
        "closed_extended": in_status(
            draft, cohort_status="closed", cohort_closes_on=today - day, extended_until=today
        ),
        "withdrawn": in_status(draft, withdrawn_at=timezone.now()),
    }
    objects: dict[str, dict[str, Any]] = {
        "assessment": assessments,
        "cohort": {"own": cohort_a, "other": cohort_b},
        "issuer": {"own": issuer_a, "other": issuer_b},
        "-": {"-": None},
    }
    return World(people, objects)


def ask(predicate: Callable[..., bool], user: Any, kind: str, obj: Any) -> bool:
    if kind == "-":
        return predicate(user=user)
    return predicate(user=user, **{kind: obj})


@pytest.mark.parametrize("name", sorted(TABLE))
def test_policy(name: str, world: World):
    predicate = predicates()[name]
    kind = object_kind(predicate)
    expected = {variant: cells(row) for variant, row in TABLE[name].items()}
    actual = {
        variant: {
            person: ask(predicate, user, kind, world.objects[kind][variant])
            for person, user in world.people.items()
        }
        for variant in expected
    }
    assert actual == expected


def test_the_lists_agree_with_can_view(world: World):
    """`visible_assessments` / `visible_cohorts` hold exactly what `can_view` /
    `can_view_cohort` allow, for everybody."""
    for person, user in world.people.items():
        seen = set(
            access.visible_assessments(user=user, queryset=Assessment.objects.all()).values_list(
                "pk", flat=True
            )
        )
        for a in Assessment.objects.all():
            assert (a.pk in seen) == access.can_view(user=user, assessment=a), (person, a.pk)
        cohorts = world.objects["cohort"].values()
        model = type(next(iter(cohorts)))
        visible = set(
            access.visible_cohorts(user=user, queryset=model.objects.all()).values_list(
                "pk", flat=True
            )
        )
        for c in cohorts:
            assert (c.pk in visible) == access.can_view_cohort(user=user, cohort=c), person


BUNDLES: dict[type, tuple[str, dict[str, str]]] = {
    access.AssessmentAccess: ("assessment", {}),
    access.CohortAccess: (
        "cohort",
        {"manage": "can_manage_cohort", "request_reports": "can_request_cohort_reports"},
    ),
    access.UserAccess: ("-", {}),
}


def test_template_flags_are_the_predicates(world: World):
    """`can.<flag>` / `user_can.<flag>` in templates answer what the predicate answers."""
    for bundle, (kind, renamed) in BUNDLES.items():
        flags = [n for n, v in vars(bundle).items() if not n.startswith("_")]
        assert flags
        for flag in flags:
            predicate = predicates()[renamed.get(flag, f"can_{flag}")]
            for obj in world.objects[kind].values():
                for user in world.people.values():
                    kwargs = {} if kind == "-" else {kind: obj}
                    flags_of = bundle(user=user, **kwargs)
                    assert getattr(flags_of, flag) == ask(predicate, user, kind, obj), flag


def test_planned_cohort_takes_no_answers_even_on_its_dates(world: World):
    a = world.objects["assessment"]["draft"]
    a.cohort.status = "planned"
    assert access.answering_window(assessment=a) is access.Window.NOT_OPEN
    assert not access.can_edit(user=world.people["lead"], assessment=a)


def test_an_extension_does_not_open_a_round_early(world: World):
    a = world.objects["assessment"]["before_open"]
    a.extended_until = timezone.localdate() + datetime.timedelta(days=90)
    assert access.answering_window(assessment=a) is access.Window.NOT_OPEN


def test_the_deadline_day_itself_takes_answers(world: World):
    """Inclusive, in Hong Kong: open on the closing date, closed the day after."""
    a = world.objects["assessment"]["draft"]
    a.cohort.closes_on = timezone.localdate()
    assert access.answering_window(assessment=a) is access.Window.OPEN
    later = timezone.localdate() + datetime.timedelta(days=1)
    assert access.answering_window(assessment=a, today=later) is access.Window.CLOSED


def test_an_expired_extension_closes_again(world: World):
    a = world.objects["assessment"]["extended"]
    later = timezone.localdate() + datetime.timedelta(days=1)
    assert access.answering_window(assessment=a, today=later) is access.Window.CLOSED


def test_the_cohort_statuses_the_policy_names_exist():
    from cohorts.models import CohortStatus

    assert {access.COHORT_PLANNED, access.COHORT_CLOSED} <= set(CohortStatus.values)
