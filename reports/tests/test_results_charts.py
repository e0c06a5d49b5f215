"""The results page draws what the report draws (the radar) and where the company stands
among its peers (a strip per shift), under the disclosure rules, with the numbers in words
and in a table; changes are whole numbers beside whole scores (issue 15, defect 8)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from assessments.models import ScoreSnapshot
from assessments.tests.factories import client_for
from reports import charts
from reports.benchmarks import Stat
from reports.content.changes import _delta, whole
from reports.content.peers import GroupView, Peers
from reports.content.positions import positions_section
from reports.content.report import report_context
from reports.releases import peer_releases_publish

SHIFTS = [{"code": "profit", "name": "Profit"}, {"code": "growth", "name": "Growth"}]


def peers_with(stat_profit: Stat | None, overall: Stat | None) -> Peers:
    group = GroupView(
        "all",
        "All issuers",
        stat_profit.n if stat_profit else 0,
        True,
        "",
        overall,
        {"profit": stat_profit} if stat_profit else {},
    )
    return Peers(groups=[group], primary=group)


def scores() -> SimpleNamespace:
    return SimpleNamespace(result={"shifts": SHIFTS})


def test_a_detailed_group_draws_band_median_and_mark_and_says_it_plainly():
    stat = Stat(n=23, q1=41, median=52, q3=63, percentile=68.4, mine=58.4, position="above")
    [overall, profit] = positions_section(scores=scores(), peers=peers_with(stat, stat))
    assert overall.name == "Overall" and profit.name == "Profit"  # growth has no statistic
    assert profit.words == (
        "The middle half of the 23 companies scored between 41 and 63; the median was 52. "
        "You scored 58, higher than about 68% of them."
    )
    svg = str(profit.svg)
    assert svg.count("<rect") == 1 and "stroke-dasharray" not in svg
    assert ">58</text>" in svg and 'aria-label="Profit: The middle half' in svg


def test_a_coarse_group_draws_no_band_and_only_the_rounded_median():
    stat = Stat(n=7, median=50, mine=61.0, position="above", coarse=True)
    [_, profit] = positions_section(scores=scores(), peers=peers_with(stat, stat))
    svg = str(profit.svg)
    assert "<rect" not in svg  # no quartiles below PEER_DETAIL_MIN
    assert "stroke-dasharray" in svg  # the median drawn as rounded
    assert "only a rounded median" in profit.words and "above the median" in profit.words
    assert "%" not in profit.words  # no percentile either


def test_no_group_shown_no_strip():
    assert positions_section(scores=scores(), peers=Peers(groups=[], primary=None)) == []
    withheld = Stat(n=3)  # no median: nothing to draw
    assert positions_section(scores=scores(), peers=peers_with(withheld, withheld)) == []


@pytest.mark.parametrize(
    ("before", "now", "change"),
    [(75, 17, -58), (75.4, 17.6, -57), (74.5, 17.5, -57), (40.2, 40.4, 0), (None, 3, None)],
)
def test_a_change_is_the_difference_of_the_whole_numbers_shown(before, now, change):
    assert _delta(before, now) == change
    if change is not None:
        assert whole(now) - whole(before) == change


def test_strip_clamps_to_the_scale():
    svg = str(charts.strip(mine=120, median=-5, q1=None, q3=None, label="x"))
    xs = [float(v) for v in re.findall(r'x1="([\d.]+)"', svg)]
    assert min(xs) >= 12 and max(xs) <= 348


@pytest.mark.django_db
def test_results_page_shows_the_reports_radar_with_its_numbers_and_the_strips(market):
    peer_releases_publish()
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=market[0].pk)
    html = (
        client_for(me.assessment.created_by)
        .get(reverse("reports:results", args=[me.assessment_id]))
        .content.decode()
    )
    report = report_context(snapshot=me, language="en", compared_with=None)
    assert str(report["radar"]) in html  # the same SVG as the PDF's
    table = html.split('id="shift-score-table"')[1].split("</table>")[0]
    for s in me.result["shifts"]:
        assert re.search(rf">{whole(s['score'])}</td>", table)
    strips = html.split('id="peer-strips"')[1].split("</ul>")[0]
    assert strips.count('class="peer-strip') == 1 + len(me.result["shifts"])
    assert "(n = 11)" in strips and "The middle half of the 11 companies scored between" in strips
    assert 'role="img"' in strips
    assert "<script" not in strips and "<style" not in strips  # the CSP allows neither
