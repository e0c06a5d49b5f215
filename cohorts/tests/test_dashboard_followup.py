"""The dashboard a secretary follows a round up from: who to contact, whether they
accepted, when they last logged in, how far they got and by when; search and the
follow-up filters; the industry filter on every figure; bad parameters; paging."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Industry
from assessments import selectors, services
from assessments.models import Answer, Assessment
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
)
from cohorts import dashboard
from cohorts.dashboard import DashboardFilters, cohort_dashboard, search_stock_code
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


def enrolled(cohort, framework, *, accepted=True, **issuer):
    the_lead = lead(issuer=IssuerFactory(**issuer))
    if not accepted:
        the_lead.set_unusable_password()
        the_lead.save()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )
    assessment.lead = the_lead
    return assessment


def codes(response):
    return re.findall(r'<tr data-code="(\d{5})"', response.content.decode())


def test_each_row_shows_contact_invitation_login_answered_and_deadline(framework_v2):
    cohort = CohortFactory(framework=framework_v2, closes_on=datetime.date(2026, 12, 31))
    assessment = enrolled(cohort, framework_v2, stock_code="00700", name_en="Tencent-ish Ltd")
    the_lead = assessment.lead
    the_lead.full_name = "Wong Siu Ming"
    the_lead.last_login = timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 30))
    the_lead.save()
    fw = selectors.framework_of(framework_v2)
    na_item = next(i for i in fw.iter_items() if i.not_applicable)
    maturity = next(i for i in fw.iter_items() if i.kind == "maturity" and i is not na_item)
    services.answers_save(
        assessment=assessment,
        proposals={
            na_item.code: services.Proposed(not_applicable=True),
            maturity.code: services.Proposed(level=3),
        },
        user=the_lead,
    )
    Assessment.objects.filter(pk=assessment.pk).update(extended_until=datetime.date(2027, 1, 15))
    invited = enrolled(cohort, framework_v2, accepted=False, stock_code="00005")

    response = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/")
    html = response.content.decode()
    total = Answer.objects.filter(assessment=assessment).count()
    assert total == len(list(fw.iter_items()))
    row = html[html.index('data-code="00700"') :].split("</tr>")[0]
    # "Not applicable" counts as answered, as on the review page.
    assert f"2/{total}" in row
    assert "Wong Siu Ming" in row and the_lead.email in row
    assert "Accepted" in row and "04/03/2026" in row
    assert "15/01/2027" in row and "extended" in row
    other = html[html.index('data-code="00005"') :].split("</tr>")[0]
    assert "Invited" in other and "Never" in other and f"0/{total}" in other
    assert "31/12/2026" in other and "Not started" in other
    assert invited.lead.email in other


@pytest.mark.parametrize("typed", ["700", "0700", "00700", "0700.HK", "0700.hk", " 700 "])
def test_search_by_stock_code_accepts_how_people_type_it(framework, typed):
    cohort = CohortFactory(framework=framework)
    enrolled(cohort, framework, stock_code="00700")
    enrolled(cohort, framework, stock_code="07000")
    response = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/", {"q": typed})
    assert codes(response) == ["00700"]


def test_search_by_english_or_chinese_name(framework):
    cohort = CohortFactory(framework=framework)
    enrolled(
        cohort, framework, name_en="Harbour Precision Holdings", name_zh="港灣精密控股有限公司"
    )
    enrolled(cohort, framework, name_en="Peak Robotics", name_zh="山頂機械人有限公司")
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    assert len(codes(admin.get(url, {"q": "harbour"}))) == 1
    assert len(codes(admin.get(url, {"q": "港灣精密"}))) == 1
    assert len(codes(admin.get(url, {"q": "機械人"}))) == 1
    assert codes(admin.get(url, {"q": "nobody"})) == []
    assert search_stock_code("Harbour") is None and search_stock_code("123456") is None


def test_follow_up_filters(framework):
    today = timezone.localdate()
    cohort = CohortFactory(
        framework=framework,
        opens_on=today - datetime.timedelta(days=60),
        closes_on=today,  # answered while open, closed below (the calendar refuses after)
    )
    untouched = enrolled(cohort, framework, accepted=False, stock_code="00001")
    started = enrolled(cohort, framework, stock_code="00002")
    the_lead = started.lead
    first = selectors.framework_of(framework).shifts[0].items[0]
    services.answers_save(
        assessment=started, proposals={first.code: services.Proposed(level=2)}, user=the_lead
    )
    extended = enrolled(cohort, framework, stock_code="00003")
    Assessment.objects.filter(pk=extended.pk).update(extended_until=today)
    submitted = submit_synthetic(
        IssuerFactory(stock_code="00004"), framework, seed=3, cohort=cohort
    )
    assert submitted.assessment.cohort == cohort
    cohort.closes_on = today - datetime.timedelta(days=1)
    cohort.save(update_fields=["closes_on"])

    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    assert codes(admin.get(url)) == ["00001", "00002", "00003", "00004"]
    assert codes(admin.get(url, {"not_started": "1"})) == ["00001", "00003"]
    assert codes(admin.get(url, {"not_accepted": "1"})) == ["00001"]
    # Yesterday's deadline passed (in Hong Kong time); today's extension has not; a
    # submitted assessment is never overdue.
    assert codes(admin.get(url, {"overdue": "1"})) == ["00001", "00002"]
    assert codes(admin.get(url, {"overdue": "1", "not_started": "1"})) == ["00001"]
    assert untouched.pk  # the untouched one matches every follow-up filter
    html = admin.get(url).content.decode()
    row = html[html.index('data-code="00002"') :].split("</tr>")[0]
    assert "overdue" in row


def test_the_industry_filter_applies_to_every_chart(framework):
    cohort = CohortFactory(framework=framework)
    for n in range(3):
        submit_synthetic(
            IssuerFactory(industry=Industry.FINANCIALS), framework, seed=n, cohort=cohort
        )
    for n in range(2):
        submit_synthetic(
            IssuerFactory(industry=Industry.UTILITIES), framework, seed=10 + n, cohort=cohort
        )
    enrolled(cohort, framework, industry=Industry.UTILITIES)

    everything = cohort_dashboard(cohort=cohort)
    only = cohort_dashboard(cohort=cohort, filters=DashboardFilters(industry=Industry.UTILITIES))
    assert dict(everything.funnel)["enrolled"] == 6 and dict(only.funnel)["enrolled"] == 3
    assert dict(only.funnel)["submitted"] == 2
    assert sum(n for _bin, n in everything.histogram) == 5
    assert sum(n for _bin, n in only.histogram) == 2
    assert sum(n for _name, n in only.tiers) == 2
    assert all(n == 2 for _name, _median, n in only.shift_medians)
    assert sum(n for _name, _median, n in only.by_board) == 2
    assert everything.heatmap_industries == ["Utilities", "Financials"]
    assert only.heatmap_industries == ["Utilities"]
    answered_choices = sum(sum(counts) for _stage, counts in only.value_chain)
    assert 0 < answered_choices < sum(sum(counts) for _stage, counts in everything.value_chain)
    assert only.total == 3

    html = (
        client_for(association_admin())
        .get(f"/cohorts/{cohort.slug}/", {"industry": "utilities"})
        .content.decode()
    )
    assert 'id="industry-scope"' in html and 'data-key="enrolled">3<' in html


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-3"},
        {"page": "99999999999999999999999"},
        {"page": "abc"},
        {"industry": "Space", "status": "lost", "sort": "1;drop table"},
        {"q": "x" * 5000},
        {"q": "%_\\'\""},
        {"not_started": "yes", "overdue": "0", "not_accepted": ""},
        {"q": "\x00"},
    ],
)
def test_bad_parameters_never_fail(framework, params):
    cohort = CohortFactory(framework=framework)
    enrolled(cohort, framework)
    response = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/", params)
    assert response.status_code == 200


def test_paging_keeps_the_filters(framework, monkeypatch):
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    cohort = CohortFactory(framework=framework)
    for n in range(5):
        enrolled(cohort, framework, stock_code=f"0010{n}", name_en=f"Lotus {n} Ltd")
    enrolled(cohort, framework, stock_code="00200", name_en="Other Ltd")
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    first = admin.get(url, {"q": "lotus", "not_accepted": "", "not_started": "1"})
    assert codes(first) == ["00100", "00101"]
    html = first.content.decode()
    link = re.search(r'rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "q=lotus" in link and "not_started=1" in link and "page=2" in link
    second = admin.get(f"{url}?{link}")
    assert codes(second) == ["00102", "00103"]
    third = admin.get(f"{url}?{link.replace('page=2', 'page=3')}")
    assert codes(third) == ["00104"]
    # Past the last page: the last page, not an error.
    assert codes(admin.get(url, {"q": "lotus", "not_started": "1", "page": "9"})) == ["00104"]


@pytest.mark.parametrize("params", [{}, {"not_accepted": "1", "q": "Test", "overdue": "1"}])
def test_the_page_runs_the_same_queries_for_5_and_30_issuers(
    framework, django_assert_num_queries, params
):
    today = timezone.localdate()
    cohort = CohortFactory(
        framework=framework,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today - datetime.timedelta(days=1),
    )
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    for n in range(5):
        enrolled(cohort, framework, accepted=n % 2 == 0)
    admin.get(url, params)  # warms the session and the cached score aggregates
    with CaptureQueriesContext(connection) as small:
        assert admin.get(url, params).status_code == 200
    expected = len(small.captured_queries)  # now: the query log is a bounded deque
    assert expected > 5
    for n in range(25):
        enrolled(cohort, framework, accepted=n % 2 == 0)
    admin.get(url, params)
    with django_assert_num_queries(expected):
        response = admin.get(url, params)
    assert len(codes(response)) == (30 if not params else 2 + 12)  # the invited leads


def test_started_means_started_answering_in_both_languages(framework):
    cohort = CohortFactory(framework=framework)
    enrolled(cohort, framework)
    admin = client_for(association_admin())
    admin.cookies["django_language"] = "zh-hant"
    html = admin.get(f"/cohorts/{cohort.slug}/").content.decode()
    assert "已開始作答" in html and "開始日期" not in html
    assert "最後登入" in html and "截止日期" in html and "聯絡人" in html
    admin.cookies["django_language"] = "en"
    assert "Started answering" in admin.get(f"/cohorts/{cohort.slug}/").content.decode()


def test_a_search_with_and_or_hash_stays_inside_its_parameter():
    filters = DashboardFilters.from_query({"q": "A&page=9#top", "sort": "-code", "page": "1"})
    assert filters.query(page=2) == "q=A%26page%3D9%23top&sort=-code&page=2"
