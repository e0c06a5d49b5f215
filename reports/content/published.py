"""The framework as published for anyone: every question, level and rule, in words.

What the public framework page (`reports.views.framework_page`) shows: the content of
one framework version (assessments.framework) in the reader's language with the scoring
method of the report's appendix (`method_section`), so the page and the report describe
the same rules. No company data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from assessments import kinds
from assessments.framework import Framework, ItemDef
from assessments.scoring import effective_shares

from .crosswalk import CrosswalkLine, crosswalk_section
from .method import Method, method_section


@dataclass(frozen=True)
class PublishedItem:
    code: str
    text: str
    help: str
    scored: bool
    mandatory: bool
    not_applicable: bool
    levels: list[str]  # maturity: the five level descriptions, level 1 first
    options: list[tuple[str, float]]  # choice: (label, points); value-chain items: []
    on_depth_scale: bool  # a value-chain item: answered on the value-chain depths
    figure: str  # a figure: its unit and plausible range in words
    scale: str  # how its answers become points (the kind's own words), "" if unscored


@dataclass(frozen=True)
class PublishedDimension:
    code: str
    name: str
    description: str
    role: str
    share_percent: float
    items: list[PublishedItem]
    recommendations: list[tuple[int, str, str]]  # (level, level name, next steps)
    crosswalk: list[CrosswalkLine]


@dataclass(frozen=True)
class PublishedShift:
    code: str
    name: str
    purpose: str
    share_percent: float
    dimensions: list[PublishedDimension]


@dataclass(frozen=True)
class PublishedFramework:
    version: str
    name: str
    levels: list[tuple[int, float, str, str]]  # (level, from score, name, description)
    roles: list[tuple[str, str]]  # (name, description)
    stages: list[str]
    depths: list[tuple[str, float, str]]  # (name, points, description)
    tiers: list[tuple[str, str]]  # (name, description)
    path_target: str
    path_otherwise: str
    path_min_met: int
    path_conditions: list[str]
    not_yet: str  # the tier of a company on neither path ("" under rules 1)
    not_yet_below_level: int
    shifts: list[PublishedShift]
    method: Method
    references: list[str]  # the documents the crosswalk and next steps cite, in full


def _figure_text(item: ItemDef, lang: str) -> str:
    if item.unit is None:
        return ""
    return _("%(unit)s, from %(min)s to %(max)s") % {
        "unit": item.unit.get(lang),
        "min": format(item.min_value.normalize(), "f") if item.min_value is not None else "",
        "max": format(item.max_value.normalize(), "f") if item.max_value is not None else "",
    }


def _item(item: ItemDef, lang: str) -> PublishedItem:
    on_scale = bool(item.value_chain_stage)
    return PublishedItem(
        code=item.code,
        text=item.text.get(lang),
        help=item.help.get(lang) if item.help else "",
        scored=item.scored,
        mandatory=item.mandatory,
        not_applicable=item.not_applicable,
        levels=[level.get(lang) for level in item.levels],
        options=[] if on_scale else [(o.label.get(lang), o.score) for o in item.options],
        on_depth_scale=on_scale,
        figure=_figure_text(item, lang),
        scale="" if on_scale or not item.scored else kinds.of(item).scale_text(item, lang) or "",
    )


def published_framework(*, fw: Framework, language: str) -> PublishedFramework:
    """The whole framework in `language`, with each dimension's share of the overall."""
    lang = language
    shares = effective_shares(fw)
    level_names = {lv.level: lv.name.get(lang) for lv in fw.levels}
    roles = {r.code: r.name.get(lang) for r in fw.value_roles}
    tiers = {t.code: t.name.get(lang) for t in fw.tiers}
    rule = fw.tier_rule
    crosswalk = crosswalk_section(fw=fw, language=lang)
    return PublishedFramework(
        version=fw.version,
        name=fw.name.get(lang),
        levels=[
            (lv.level, lv.min_score, lv.name.get(lang), lv.description.get(lang))
            for lv in fw.levels
        ],
        roles=[
            (r.name.get(lang), r.description.get(lang) if r.description else "")
            for r in fw.value_roles
        ],
        stages=[s.name.get(lang) for s in fw.stages],
        depths=[
            (d.label.get(lang), d.score, d.description.get(lang) if d.description else "")
            for d in fw.depths
        ],
        tiers=[
            (t.name.get(lang), t.description.get(lang) if t.description else "") for t in fw.tiers
        ],
        path_target=tiers[rule.target],
        path_otherwise=tiers[rule.otherwise],
        path_min_met=rule.min_met,
        path_conditions=[c.text.get(lang) for c in rule.conditions],
        not_yet=tiers.get(rule.not_yet, "") if rule.not_yet else "",
        not_yet_below_level=rule.not_yet_below_level,
        shifts=[
            PublishedShift(
                code=s.code,
                name=s.name.get(lang),
                purpose=s.purpose.get(lang),
                share_percent=round(100 * sum(shares[d.code] for d in s.dimensions), 1),
                dimensions=[
                    PublishedDimension(
                        code=d.code,
                        name=d.name.get(lang),
                        description=d.description.get(lang),
                        role=roles.get(d.value_role, ""),
                        share_percent=round(100 * shares[d.code], 1),
                        items=[_item(i, lang) for i in d.items],
                        recommendations=[
                            (level, level_names.get(level, ""), text.get(lang))
                            for level, text in sorted(d.recommendations.items())
                        ],
                        crosswalk=crosswalk.by_dimension.get(d.code, []),
                    )
                    for d in s.dimensions
                ],
            )
            for s in fw.shifts
        ],
        method=method_section(fw=fw, language=lang),
        references=crosswalk.references,
    )
