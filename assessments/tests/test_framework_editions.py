"""The 2027 edition (frameworks/v3.yaml): what it adds, that it leaves v1 and v2 results
and reports as they were, and that "change since last time" works across editions."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from assessments import selectors
from assessments.framework import parse_framework
from assessments.models import Assessment, AssessmentStatus, FrameworkVersion, ScoreSnapshot
from assessments.scoring import score
from assessments.services import FRAMEWORK_DIR, framework_load, framework_load_all
from assessments.tests.factories import IssuerFactory, client_for
from cohorts.forms import CohortForm
from cohorts.models import Cohort
from reports.content import changes_section

V3_PATH = FRAMEWORK_DIR / "v3.yaml"
NIST_FUNCTIONS = ("GOVERN", "MAP", "MEASURE", "MANAGE")
# A level defined by what is missing ("no policy", "never discussed", 沒有/從未/未有…).
ABSENCE_EN = re.compile(r"\b(no|not|never|without|none|nothing|unchanged)\b", re.I)
ABSENCE_ZH = re.compile(r"(沒有|從未|未有|並無|毋須|不會|未曾|無人|未經)")


@pytest.fixture(scope="module")
def v3():
    return parse_framework(yaml.safe_load(V3_PATH.read_text(encoding="utf-8")))


def test_controllable_ai_is_asked_under_governance(v3):
    control = v3.dimension("governance.control")
    assert control.shift_code == "governance" and control.carried_from == ()
    assert {i.code.rsplit(".", 1)[1] for i in control.items} == {
        "human_approval",
        "override_rollback",
        "autonomy_limits",
        "incidents",
    }
    assert all(len(i.levels) == 5 for i in control.items)
    assert "governance.model_risk.incidents" not in v3.items


def test_strategy_leadership_and_change_sit_in_the_profit_shift(v3):
    strategy = v3.dimension("profit.strategy")
    assert strategy.carried_from == () and len(strategy.items) == 3
    assert "four shifts" in strategy.items[0].text.en
    assert "profit.workforce" in {d.code for d in v3.shift("profit").dimensions}
    assert [s.code for s in v3.shifts] == ["profit", "growth", "intangibles", "governance"]
    schema = (FRAMEWORK_DIR / "SCHEMA.md").read_text(encoding="utf-8")
    assert "### Where strategy sits" in schema


def test_every_level_names_something_an_assessor_could_see(v3):
    absent = [
        f"{item.code} L{n}: {level.en} / {level.zh}"
        for item in v3.iter_items()
        for n, level in enumerate(item.levels, 1)
        if ABSENCE_EN.search(level.en) or ABSENCE_ZH.search(level.zh)
    ]
    assert not absent, "\n".join(absent)


def test_the_three_anchors_the_audit_named_are_observable_now(v3):
    for code in (
        "governance.oversight.board",
        "governance.model_risk.validation",
        "governance.data_protection.personal_data",
    ):
        top = v3.items[code].levels[4].en
        assert not ABSENCE_EN.search(top), top
    assert "minutes" in v3.items["governance.oversight.board"].levels[4].en


def test_every_dimension_has_a_crosswalk_with_a_nist_function(v3):
    refs = {r.code for r in v3.references}
    assert {"pcpd_ai_model", "iso_42001", "nist_ai_rmf", "hkex_cg_code", "hkex_esg_code"} <= refs
    for dim in v3.dimensions:
        assert dim.crosswalk, dim.code
        assert {c.ref for c in dim.crosswalk} <= refs
        nist = [c for c in dim.crosswalk if c.ref == "nist_ai_rmf"]
        assert nist and nist[0].where is not None, dim.code
        named = re.findall(r"[A-Z]{3,}", nist[0].where.en)
        assert named and set(named) <= set(NIST_FUNCTIONS), (dim.code, nist[0].where.en)
        for entry in dim.crosswalk:
            if entry.ref == "iso_42001" and entry.where:
                assert entry.where.en.startswith("Clause"), entry.where.en


def test_value_chain_stages_have_one_name_per_language(v3):
    assert {s.code: (s.name.en, s.name.zh) for s in v3.stages} == {
        "rnd": ("Research and development", "研發"),
        "production": ("Production and operations", "生產及營運"),
        "supply_chain": ("Supply chain", "供應鏈"),
        "marketing": ("Marketing and sales", "市場推廣及銷售"),
        "service": ("Customer service", "客戶服務"),
        "risk_control": ("Risk control", "風險控制"),
        "compliance": ("Compliance", "合規"),
        "finance": ("Finance", "財務"),
    }


def test_next_steps_name_hong_kong_programmes_and_guidance(v3):
    texts = " ".join(t.en for d in v3.dimensions for t in d.recommendations.values())
    for name in (
        "New Industrialisation and Technology Training Programme",
        "Cyberport AI Supercomputing Centre",
        "PCPD",
        "Digital Policy Office",
        "ESG Reporting Code",
        "ISO/IEC 42001",
    ):
        assert name in texts, name
    assert "http" not in texts  # no links: none was checked


def _pages(client, assessment_id: int) -> dict[str, str]:
    pages = {}
    for language in ("en", "zh-hant"):
        html = client.get(reverse("reports:view", args=[assessment_id, language])).content
        # The page's CSP nonce is new on every request; everything else must be the same.
        pages[language] = re.sub(r'nonce="[^"]*"', "", html.decode())
    return pages


@pytest.mark.django_db
def test_loading_the_new_edition_leaves_v1_and_v2_results_and_reports_unchanged(media):
    from reports.tests.conftest import submit_synthetic

    v1, _ = framework_load(path=FRAMEWORK_DIR / "v1.yaml")
    v2, _ = framework_load(path=FRAMEWORK_DIR / "v2.yaml")
    before = {}
    for version, seed in ((v1, 1), (v2, 2)):
        snapshot = submit_synthetic(IssuerFactory(), version, seed=seed)
        user = User.objects.get(issuer=snapshot.assessment.issuer)
        before[version.version] = (
            snapshot.pk,
            user,
            _pages(client_for(user), snapshot.assessment_id),
        )
    results = dict(ScoreSnapshot.objects.values_list("pk", "result"))

    framework_load(path=V3_PATH)
    assert selectors.framework_latest().version == "2027.1"
    assert dict(ScoreSnapshot.objects.values_list("pk", "result")) == results
    for version, (pk, user, pages) in before.items():
        snapshot = ScoreSnapshot.objects.get(pk=pk)
        assert snapshot.framework.version == version
        # Scored again on its own version, the answers give the stored result.
        fw = selectors.framework_of(snapshot.framework)
        answers = selectors.answer_values(selectors.answers_of(snapshot.assessment).values())
        assert json.loads(json.dumps(score(fw, answers).as_dict())) == snapshot.result
        assert _pages(client_for(user), snapshot.assessment_id) == pages


@pytest.mark.django_db
def test_new_cohorts_default_to_the_newest_version_and_existing_ones_keep_theirs():
    from assessments.tests.factories import CohortFactory

    v2, _ = framework_load(path=FRAMEWORK_DIR / "v2.yaml")
    old = CohortFactory(framework=v2)
    framework_load_all()
    newest = FrameworkVersion.objects.get(version="2027.1")
    assert CohortForm().fields["framework"].initial == newest.pk
    old.refresh_from_db()
    assert old.framework == v2


@pytest.mark.django_db
def test_change_since_last_time_across_editions_marks_what_is_new(media):
    from reports.tests.conftest import submit_synthetic

    v1, _ = framework_load(path=FRAMEWORK_DIR / "v1.yaml")
    v3, _ = framework_load(path=V3_PATH)
    issuer = IssuerFactory()
    previous = submit_synthetic(issuer, v1, seed=3)
    Assessment.objects.filter(pk=previous.assessment_id).update(
        submitted_at=previous.assessment.submitted_at.replace(year=2025)
    )
    now = submit_synthetic(issuer, v3, seed=4)
    fw = selectors.framework_of(v3)
    changes = changes_section(snapshot=now, previous=previous, fw=fw, language="en")
    assert changes is not None and changes.previous_version == "2026.1"
    dims = {d.name: d for s in changes.shifts for d in s.dimensions}
    strategy = dims[fw.dimension("profit.strategy").name.en]
    control = dims[fw.dimension("governance.control").name.en]
    assert strategy.new and control.new and strategy.before is None
    kept = dims[fw.dimension("governance.oversight").name.en]
    assert not kept.new
    assert kept.before == next(
        d["score"] for d in previous.result["dimensions"] if d["code"] == "governance.oversight"
    )
    assert all(not s.new and s.before is not None for s in changes.shifts)

    user = User.objects.filter(issuer=issuer).order_by("pk").last()
    for language, words in (("en", "new this edition"), ("zh-hant", "本版新增")):
        client = client_for(user)
        client.cookies["django_language"] = language
        html = client.get(reverse("reports:results", args=[now.assessment_id])).content.decode()
        assert words in html and "2026.1" in html
        report = client.get(reverse("reports:view", args=[now.assessment_id, language]))
        assert words in report.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_demo_runs_the_open_round_on_the_newest_edition_after_last_year_on_the_first():
    call_command("seed_demo", "--peers", "0", stdout=StringIO())
    assert Cohort.objects.get(slug="demo-2026").framework.version == "2027.1"
    history = Assessment.objects.get(issuer__stock_code="90000", status=AssessmentStatus.SUBMITTED)
    assert history.framework.version == "2026.1"
    draft = Assessment.objects.get(issuer__stock_code="90000", status=AssessmentStatus.DRAFT)
    assert draft.framework.version == "2027.1"


@pytest.mark.django_db
def test_the_zh_report_and_results_page_speak_one_voice_and_show_the_crosswalk(media):
    """Wherever the Chinese comes from (catalogue, templates, framework), the rendered zh
    report and results page of a 2027 assessment pass the style sheet."""
    from reports.tests.conftest import submit_synthetic
    from tests.test_style_sheet import violations

    v3, _ = framework_load(path=V3_PATH)
    snapshot = submit_synthetic(IssuerFactory(), v3, seed=5)
    client = client_for(User.objects.get(issuer=snapshot.assessment.issuer))
    client.cookies["django_language"] = "zh-hant"
    for url in (
        reverse("reports:view", args=[snapshot.assessment_id, "zh-hant"]),
        reverse("reports:results", args=[snapshot.assessment_id]),
    ):
        html = client.get(url).content.decode()
        assert "相關標準及指引：" in html and "ISO/IEC 42001（第5.1條" in html
        body = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", html)
        text = re.sub(r"<[^>]+>", " ", body)
        found = [v for line in text.splitlines() if line.strip() for v in violations(line)]
        assert not found, "\n".join(found)
    report = client.get(reverse("reports:view", args=[snapshot.assessment_id, "zh-hant"]))
    assert "與標準及指引的對照" in report.content.decode()  # the method appendix
