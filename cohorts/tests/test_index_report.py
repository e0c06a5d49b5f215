"""The cohort index report: content builders under the disclosure rules, and the
`render_cohort_report` command's PDF read back with pdftotext."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import Board, Industry, Issuer, MarketCapBand
from assessments.selectors import framework_of
from cohorts.index_report.content import IndexContent, groups, year_on_year
from cohorts.index_report.data import CohortData, Member
from cohorts.index_report.stats import figures
from cohorts.models import Cohort
from reports.tests.conftest import submit_synthetic
from reports.tests.poppler import pdftotext

pytestmark = pytest.mark.django_db


def layout_text(pdf: Path) -> str:
    """pdftotext -layout: a table row stays on one line."""
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def member(i: int, overall: float, *, industry: str = Industry.INDUSTRIALS, **kw) -> Member:
    return Member(
        issuer_id=i,
        overall=overall,
        level=1 + int(overall // 25),
        tier="tier4",
        industry=industry,
        size=kw.get("size", MarketCapBand.S),
        board=kw.get("board", Board.MAIN),
        shifts={"profit": overall, "growth": overall - 5},
        dimensions={},
        kpis={},
        stages={},
    )


def cohort_of(members: list[Member], cohort: Cohort) -> CohortData:
    return CohortData(
        cohort=cohort,
        enrolled=len(members),
        submitted=len(members),
        approved=0,
        provisional=0,
        members=members,
    )


def make_cohort(framework, slug: str = "idx-2026", year: int = 2026) -> Cohort:
    """An open cohort of programme year `year` (open around today, so it takes answers)."""
    today = timezone.localdate()
    return Cohort.objects.create(
        name_en=f"Index {year}",
        name_zh=f"{year}年度指數",
        slug=slug,
        year=year,
        framework=framework,
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=60),
        status="open",
    )


# --- the rules, on the builders' figures ---------------------------------------------------

member_sets = st.lists(
    st.tuples(
        st.sampled_from(Industry.values[:4]),
        st.sampled_from(Board.values),
        st.sampled_from(MarketCapBand.values),
        st.integers(0, 100),
    ),
    min_size=0,
    max_size=40,
)


@hsettings(max_examples=60, deadline=None)
@given(rows=member_sets)
def test_no_figure_from_fewer_than_5_and_no_two_shown_groups_differ_by_1_to_4(rows):
    from cohorts.index_report.content import partition_groups

    members = [
        member(i, s, industry=ind, board=b, size=sz) for i, (ind, b, sz, s) in enumerate(rows)
    ]
    found = partition_groups(members)
    shown = {k: f for k, f in figures(found, lambda m: m.overall).items() if f.shown}
    sets = {k: {m.issuer_id for m in found[k]} for k in shown}
    for key, fig in shown.items():
        assert fig.n >= 5 and fig.n == len(sets[key])
        if fig.n < 10:
            assert fig.q1 is None and fig.median is not None and fig.median % 5 == 0
    for a in shown:
        for b in shown:
            assert len(sets[a] ^ sets[b]) == 0 or len(sets[a] ^ sets[b]) >= 5, (a, b)


def test_an_industry_that_is_all_but_two_companies_is_withheld(framework):
    cohort = make_cohort(framework)
    members = [member(i, 40 + i) for i in range(12)]
    members += [member(100 + i, 50, industry=Industry.FINANCIALS) for i in range(2)]
    out = groups(data=cohort_of(members, cohort), fw=framework_of(framework))
    rows = {r.key: r for b in out.breakdowns for r in b.rows}
    assert not rows[f"industry:{Industry.INDUSTRIALS}"].overall.shown  # = all minus 2
    assert rows[f"industry:{Industry.INDUSTRIALS}"].overall.reason == "overlap"
    assert rows[f"industry:{Industry.FINANCIALS}"].overall.reason == "too_few"


def test_year_on_year_matched_and_all_follow_the_rules(framework):
    now_c, before_c = make_cohort(framework), make_cohort(framework, "idx-2025", 2025)
    fw = framework_of(framework)
    before = [member(i, 30 + i) for i in range(20)]
    # Ten of last year's companies again, each 4 points up, and ten new ones.
    now = [member(i, 34 + i) for i in range(10)] + [member(50 + i, 60) for i in range(10)]
    yoy = year_on_year(data=cohort_of(now, now_c), previous=cohort_of(before, before_c), fw=fw)
    overall = yoy.moves[0]
    assert yoy.available and yoy.n_matched == 10 and yoy.matched_shown
    assert overall.matched_change.median == 4 and overall.matched_change.n == 10
    assert overall.delta == overall.now.median - overall.before.median

    # Four companies in both years: no matched figure.
    now = [member(i, 34 + i) for i in range(4)] + [member(50 + i, 60) for i in range(16)]
    yoy = year_on_year(data=cohort_of(now, now_c), previous=cohort_of(before, before_c), fw=fw)
    assert yoy.available and not yoy.matched_shown
    assert not yoy.moves[0].matched_change.shown

    # Last year = this year plus 2 companies: the two years may not be compared.
    now = before[:18]
    yoy = year_on_year(data=cohort_of(now, now_c), previous=cohort_of(before, before_c), fw=fw)
    assert not yoy.available
    assert not yoy.moves[0].before.shown and yoy.moves[0].delta is None


# --- the command and its PDF ---------------------------------------------------------------


def issuer_strings() -> list[str]:
    out = []
    for name_en, name_zh, code in Issuer.objects.values_list("name_en", "name_zh", "stock_code"):
        out += [name_en, code] + ([name_zh] if name_zh else [])
    return out


def test_demo_report_in_chinese_names_no_company_and_shows_only_groups_of_5(
    settings, tmp_path, media
):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", stdout=StringIO())
    out = tmp_path / "index.pdf"
    call_command(
        "render_cohort_report",
        "--cohort",
        "demo-2026",
        "--lang",
        "zh-hant",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    text = pdftotext(out, tmp_path)
    flat = "".join(text.split())
    for s in issuer_strings():
        assert "".join(s.split()) not in flat, s
    # Chinese throughout: no English heading or message left untranslated.
    assert "中位數" in text and "不足" in text
    for english in ("Median", "not enough companies", "Executive summary", "Method"):
        assert english not in text, english

    with translation.override("zh-hant"):
        content = IndexContent.load(cohort=Cohort.objects.get(slug="demo-2026"))
        figs = content.all_figures()
    assert all(f.n >= 5 for f in figs if f.shown)
    assert any(f.shown for f in figs) and any(not f.shown and f.n for f in figs)
    # In the text: each group row shows its n (>= 5) and figures, or "not enough companies".
    layout = layout_text(out)
    rows = {r.label: r for b in content.groups.breakdowns for r in b.rows}
    assert rows
    for label, row in rows.items():
        line = next(ln for ln in layout.splitlines() if ln.strip().startswith(label))
        if row.overall.shown:
            n = int(re.findall(r"\d+", line[len(line) - len(line.lstrip()) + len(label) :])[0])
            assert n == row.n >= 5, line
        else:
            assert "不足" in line and not re.search(r"\d", line.replace(label, "")), line


def test_a_cohort_of_four_shows_not_enough_companies(framework, tmp_path, media):
    cohort = make_cohort(framework)
    for n in range(4):
        issuer = Issuer.objects.create(
            stock_code=f"{81000 + n}",
            name_en=f"Tiny Co {n} Limited",
            name_zh=f"細公司{n}",
            board=Board.MAIN,
            industry=Industry.INDUSTRIALS,
            market_cap_band=MarketCapBand.S,
        )
        submit_synthetic(issuer, framework, seed=n, cohort=cohort)
    content = IndexContent.load(cohort=cohort)
    assert content.data.n == 4
    assert not any(f.shown for f in content.all_figures())
    out = tmp_path / "four.pdf"
    call_command(
        "render_cohort_report",
        "--cohort",
        cohort.slug,
        "--lang",
        "en",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    text = pdftotext(out, tmp_path)
    assert text.count("Not enough companies") >= 5  # summary, shifts, groups, chain, figures...
    assert "Only 4 results count so far" in " ".join(text.split())
    assert "Tiny Co" not in text and "細公司" not in text
    # No figure before the method appendix (which explains "≈"): no share, no median.
    body = text.rsplit("\nMethod\n", 1)[0]
    assert "≈" not in body and "%" not in body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cohort", "nope", "--lang", "en"], "No cohort with slug 'nope'"),
        (["--cohort", "idx-2026", "--lang", "fr"], "--lang must be one of: en, zh-hant"),
    ],
)
def test_command_refuses_bad_input_with_a_sentence(framework, tmp_path, args, message):
    make_cohort(framework)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("render_cohort_report", *args, "--out", str(tmp_path / "x.pdf"))


def test_command_refuses_bad_paths(framework, tmp_path):
    make_cohort(framework)
    base = ["render_cohort_report", "--cohort", "idx-2026", "--lang", "en", "--out"]
    with pytest.raises(CommandError, match="does not exist"):
        call_command(*base, str(tmp_path / "missing" / "x.pdf"))
    with pytest.raises(CommandError, match=r"must end in \.pdf or \.html"):
        call_command(*base, str(tmp_path / "x.docx"))
    (tmp_path / "d.pdf").mkdir()
    with pytest.raises(CommandError, match="is a folder"):
        call_command(*base, str(tmp_path / "d.pdf"))


def test_command_writes_html(framework, tmp_path):
    make_cohort(framework)
    out = tmp_path / "x.html"
    call_command(
        "render_cohort_report",
        "--cohort",
        "idx-2026",
        "--lang",
        "zh-hant",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    html = out.read_text()
    assert '<html lang="zh-Hant-HK">' in html and "<script" not in html
