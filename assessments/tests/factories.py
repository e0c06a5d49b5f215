from __future__ import annotations

import time
from datetime import timedelta
from typing import cast

import factory
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from accounts.mfa import required_for
from accounts.models import (
    Board,
    EmployeeBand,
    Industry,
    Issuer,
    MarketCapBand,
    RevenueBand,
    Role,
    User,
)
from assessments import selectors, services
from assessments.models import Assessment
from assessments.services import Proposed

PASSWORD = "correct-horse-battery"


class IssuerFactory(DjangoModelFactory):
    class Meta:
        model = Issuer

    name_en = factory.Sequence(lambda n: f"Test Issuer {n} Limited")
    name_zh = factory.Sequence(lambda n: f"測試發行人{n}有限公司")
    stock_code = factory.Sequence(lambda n: str(10000 + n).zfill(5))
    board = Board.MAIN
    industry = Industry.INDUSTRIALS
    market_cap_band = MarketCapBand.S
    revenue_band = RevenueBand.S
    employee_band = EmployeeBand.S


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.ISSUER_LEAD
    issuer = factory.SubFactory(IssuerFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def lead(issuer: Issuer | None = None, **kw) -> User:
    return cast(User, UserFactory(role=Role.ISSUER_LEAD, issuer=issuer or IssuerFactory(), **kw))


def contributor(issuer: Issuer, **kw) -> User:
    return cast(User, UserFactory(role=Role.ISSUER_CONTRIBUTOR, issuer=issuer, **kw))


def association_admin(**kw) -> User:
    user = UserFactory(
        role=Role.ASSOCIATION_ADMIN, issuer=None, is_staff=True, is_superuser=True, **kw
    )
    return cast(User, user)


def reviewer(**kw) -> User:
    return cast(User, UserFactory(role=Role.ASSOCIATION_REVIEWER, issuer=None, **kw))


class CohortFactory(DjangoModelFactory):
    class Meta:
        model = "cohorts.Cohort"

    name_en = factory.Sequence(lambda n: f"Cohort {n}")
    name_zh = factory.Sequence(lambda n: f"評估批次{n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    year = 2026
    # Open today (Hong Kong), whenever the tests run: the calendar rules
    # (access.answering_window) refuse answers outside the round's dates.
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=60))
    status = "open"


def login_request() -> HttpRequest:
    """The request a Client.login() attempt stands for.

    django-axes counts attempts per client address, so authenticate() refuses to run
    without the request (the real login view always passes it).
    """
    return RequestFactory().post("/accounts/login/")


def client_for(user: User) -> Client:
    """A test client logged in as `user` (through the real login, not force_login), with
    the second factor given when the person must have one (`second_factor_given`)."""
    client = Client()
    assert client.login(request=login_request(), username=user.email, password=PASSWORD)
    if required_for(user):
        second_factor_given(client, user)
    return client


def totp_code(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now, or the next one when the current
    was already used (django-otp accepts each time step once, one step either side)."""
    if device.pk is not None:
        device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def authenticator_for(user: User) -> TOTPDevice:
    """A confirmed authenticator app of the person's (as if enrolled)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device


def second_factor_given(client: Client, user: User) -> None:
    """The session as the second-factor page leaves it once a code was right
    (`accounts.mfa.session_verify`: django-otp's verified device in the session), for
    tests about anything else. The pages themselves are tested through HTTP in
    accounts/tests/test_mfa.py and in the browser (tests/browser/test_mfa_browser.py)."""
    device = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def answer_mandatory(
    assessment: Assessment, user: User, *, level: int = 2, option: int = 0
) -> None:
    """Every maturity item at `level`, every choice item its `option`-th option (figures,
    which are optional, stay blank): enough for the assessment to be submitted."""
    fw = selectors.framework_of(assessment.framework)
    proposals = {}
    for item in fw.iter_items():
        if item.kind == "maturity":
            proposals[item.code] = Proposed(level=level)
        elif item.kind == "choice":
            proposals[item.code] = Proposed(choice=item.options[option].code)
    services.answers_save(assessment=assessment, proposals=proposals, user=user)


def submit_answered(assessment: Assessment, user: User, *, level: int = 2) -> None:
    """Answer what submission requires, then submit as `user` (the issuer's lead)."""
    answer_mandatory(assessment, user, level=level)
    services.assessment_submit(assessment=assessment, user=user)
