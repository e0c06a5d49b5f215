"""The framework content as plain immutable values.

Parsed from the YAML/JSON content (see frameworks/SCHEMA.md), validated once, and then
used by scoring, forms and reports without touching the database. Nothing here imports
Django models, so scoring stays a pure function of (Framework, answers).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import kinds

LANGS = ("en", "zh-hant")
RULE_KINDS = ("value_chain_stages", "dimension_min", "shift_min")
# What a cited document is (`references:` in the file): the crosswalk and the next steps name them.
REFERENCE_KINDS = ("standard", "regulation", "guidance", "programme")
# Scoring rules a framework file may ask for (`scoring_rules:`, absent → 1); scoring.py
# keeps each version's behaviour, so a file's results never change under it.
SCORING_RULES = (1, 2)
# Rules 1 had no provisional state; its snapshots are labelled by the same threshold.
PROVISIONAL_BELOW_DEFAULT = 0.75


class FrameworkError(ValueError):
    """The content does not follow frameworks/SCHEMA.md; the message says where."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, language: str | None) -> str:
        return self.zh if (language or "").lower().startswith("zh") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh-hant": self.zh}


@dataclass(frozen=True)
class Option:
    code: str
    score: float
    label: Text
    description: Text | None = None


@dataclass(frozen=True)
class ItemDef:
    code: str
    kind: str
    weight: float
    mandatory: bool
    text: Text
    help: Text | None
    shift_code: str
    dimension_code: str
    scored: bool  # counts in scores: a positive weight and a scored kind (kinds.py)
    # What the kinds need (kinds.py parses them): a new kind may add a field here.
    levels: tuple[Text, ...] = ()
    options: tuple[Option, ...] = ()
    value_chain_stage: str = ""
    # Rules 2: the item may be answered "not applicable" (its weight leaves the dimension).
    not_applicable: bool = False
    unit: Text | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    decimals: int = 0

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class CrosswalkEntry:
    """Where a dimension meets a cited document: `ref` (a `references` code) and, optionally,
    the clause, area or function (`where`), given only when checked against the source."""

    ref: str
    where: Text | None = None


@dataclass(frozen=True)
class Reference:
    """A document or programme the framework cites (standard, regulation, guidance, programme)."""

    code: str
    kind: str
    name: Text
    short: Text | None = None  # as cited beside a dimension, e.g. "ISO/IEC 42001"

    def label(self, language: str | None) -> str:
        return (self.short or self.name).get(language)


@dataclass(frozen=True)
class Dimension:
    code: str
    weight: float
    value_role: str
    name: Text
    description: Text
    recommendations: Mapping[int, Text]
    items: tuple[ItemDef, ...]
    shift_code: str
    crosswalk: tuple[CrosswalkEntry, ...] = ()
    # The earlier editions' dimension codes whose score this one continues ("change since
    # last time"): None = the dimension of the same code, () = new in this edition.
    carried_from: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Shift:
    code: str
    weight: float
    name: Text
    purpose: Text
    dimensions: tuple[Dimension, ...]

    @property
    def items(self) -> tuple[ItemDef, ...]:
        return tuple(i for d in self.dimensions for i in d.items)


@dataclass(frozen=True)
class Level:
    level: int
    min_score: float
    name: Text
    description: Text


@dataclass(frozen=True)
class Named:
    code: str
    name: Text
    description: Text | None = None


@dataclass(frozen=True)
class TierCondition:
    code: str
    kind: str
    text: Text
    depth: str = ""
    min_count: int = 0
    target: str = ""
    min_score: float = 0.0


@dataclass(frozen=True)
class TierRule:
    target: str
    otherwise: str
    min_met: int
    conditions: tuple[TierCondition, ...]
    # Rules 2: the tier of a company on neither path yet: no condition met and an overall
    # level below `not_yet_below_level` (or no overall score). "" = always a path (rules 1).
    not_yet: str = ""
    not_yet_below_level: int = 0


@dataclass(frozen=True)
class Framework:
    version: str
    name: Text
    min_known_share: float
    levels: tuple[Level, ...]
    value_roles: tuple[Named, ...]
    stages: tuple[Named, ...]
    depths: tuple[Option, ...]
    tiers: tuple[Named, ...]
    tier_rule: TierRule
    shifts: tuple[Shift, ...]
    scoring_rules: int = 1
    # Rules 2 thresholds (frameworks/SCHEMA.md): a shift is scored when this share of its
    # dimension weight is scored; a result whose known share of scored weight is below
    # `provisional_below` is provisional; a dimension more than `max_not_applicable_share`
    # "not applicable" is unscored.
    min_scored_share: float = 0.0
    provisional_below: float = PROVISIONAL_BELOW_DEFAULT
    max_not_applicable_share: float = 1.0
    references: tuple[Reference, ...] = ()
    _items: Mapping[str, ItemDef] = field(default_factory=dict, repr=False, compare=False)

    @property
    def items(self) -> Mapping[str, ItemDef]:
        return self._items

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return tuple(d for s in self.shifts for d in s.dimensions)

    def iter_items(self) -> Iterator[ItemDef]:
        for shift in self.shifts:
            yield from shift.items

    def shift(self, code: str) -> Shift:
        return next(s for s in self.shifts if s.code == code)

    def dimension(self, code: str) -> Dimension:
        return next(d for d in self.dimensions if d.code == code)

    def level_for(self, score: float) -> Level:
        chosen = self.levels[0]
        for level in self.levels:
            if score >= level.min_score:
                chosen = level
        return chosen

    def tier(self, code: str) -> Named:
        return next(t for t in self.tiers if t.code == code)

    def role(self, code: str) -> Named:
        return next(r for r in self.value_roles if r.code == code)

    def stage(self, code: str) -> Named:
        return next(s for s in self.stages if s.code == code)

    def reference(self, code: str) -> Reference:
        return next(r for r in self.references if r.code == code)


# --- parsing ------------------------------------------------------------------------------


def parse_text(raw: Any, where: str) -> Text:
    if not isinstance(raw, Mapping) or set(raw) != set(LANGS):
        raise FrameworkError(f"{where}: expected a mapping with keys 'en' and 'zh-hant'")
    values = [raw[lang] for lang in LANGS]
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise FrameworkError(f"{where}: both 'en' and 'zh-hant' must be non-empty text")
    return Text(en=values[0].strip(), zh=values[1].strip())


def parse_opt_text(raw: Any, where: str) -> Text | None:
    return None if raw is None else parse_text(raw, where)


def required(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise FrameworkError(f"{where}: '{key}' is missing")
    return raw[key]


def parse_number(raw: Any, where: str, *, minimum: float = 0.0) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < minimum:
        raise FrameworkError(f"{where}: expected a number ≥ {minimum}, got {raw!r}")
    return float(raw)


def parse_option(raw: Mapping[str, Any], where: str, label_key: str = "label") -> Option:
    score = parse_number(required(raw, "score", where), f"{where}.score")
    if score > 100:
        raise FrameworkError(f"{where}.score: must be between 0 and 100")
    return Option(
        code=str(required(raw, "code", where)),
        score=score,
        label=parse_text(required(raw, label_key, where), f"{where}.{label_key}"),
        description=parse_opt_text(raw.get("description"), f"{where}.description"),
    )


def _item(
    raw: Mapping[str, Any],
    where: str,
    shift: str,
    dim: str,
    depths: tuple[Option, ...],
    rules: int = 1,
) -> ItemDef:
    code = str(required(raw, "code", where))
    where = f"item {code}"
    if not code.startswith(dim + "."):
        raise FrameworkError(f"{where}: code must start with its dimension code '{dim}.'")
    kind = kinds.get(required(raw, "kind", where))
    if kind is None:
        raise FrameworkError(f"{where}: kind must be one of {', '.join(kinds.codes())}")
    weight = parse_number(raw.get("weight", 1), f"{where}.weight")
    scored = weight > 0 and kind.scored
    not_applicable = raw.get("not_applicable", False)
    if not isinstance(not_applicable, bool):
        raise FrameworkError(f"{where}.not_applicable: true or false")
    if not_applicable and rules < 2:
        raise FrameworkError(f"{where}: not_applicable needs scoring_rules 2")
    if not_applicable and not (scored and kind.can_be_not_applicable):
        raise FrameworkError(
            f"{where}: only a scored item whose kind offers it can be not applicable"
        )
    item = ItemDef(
        code=code,
        kind=kind.code,
        weight=weight,
        mandatory=bool(raw.get("mandatory", True)),
        text=parse_text(required(raw, "text", where), f"{where}.text"),
        help=parse_opt_text(raw.get("help"), f"{where}.help"),
        shift_code=shift,
        dimension_code=dim,
        scored=scored,
        not_applicable=not_applicable,
        **kind.parse(raw, where=where, weight=weight, depths=depths),
    )
    if rules >= 2 and scored:
        for option in item.options:
            if option.score % kinds.POINTS_PER_LEVEL:
                raise FrameworkError(
                    f"{where}: option {option.code} scores {option.score:g}; under scoring "
                    "rules 2 every score is on the level scale "
                    f"(a multiple of {kinds.POINTS_PER_LEVEL:g})"
                )
    return item


def _references(raw: Any) -> tuple[Reference, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FrameworkError("references: a list of {code, kind, name}")
    refs: list[Reference] = []
    for i, r in enumerate(raw):
        where = f"references[{i}]"
        if not isinstance(r, Mapping):
            raise FrameworkError(f"{where}: a mapping with code, kind and name")
        kind = required(r, "kind", where)
        if kind not in REFERENCE_KINDS:
            raise FrameworkError(f"{where}.kind: one of {', '.join(REFERENCE_KINDS)}")
        refs.append(
            Reference(
                code=str(required(r, "code", where)),
                kind=kind,
                name=parse_text(required(r, "name", where), f"{where}.name"),
                short=parse_opt_text(r.get("short"), f"{where}.short"),
            )
        )
    if len({r.code for r in refs}) != len(refs):
        raise FrameworkError("references: codes must be unique")
    return tuple(refs)


def _crosswalk(raw: Any, where: str, refs: set[str]) -> tuple[CrosswalkEntry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FrameworkError(f"{where}.crosswalk: a list of {{ref, where}}")
    entries: list[CrosswalkEntry] = []
    for i, e in enumerate(raw):
        ewhere = f"{where}.crosswalk[{i}]"
        if not isinstance(e, Mapping):
            raise FrameworkError(f"{ewhere}: a mapping with ref and, optionally, where")
        ref = str(required(e, "ref", ewhere))
        if ref not in refs:
            raise FrameworkError(f"{ewhere}.ref: '{ref}' is not in references")
        entries.append(
            CrosswalkEntry(ref=ref, where=parse_opt_text(e.get("where"), f"{ewhere}.where"))
        )
    return tuple(entries)


def _carried_from(raw: Any, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(c, str) and "." in c for c in raw):
        raise FrameworkError(
            f"{where}.carried_from: a list of earlier dimension codes ([] = new in this edition)"
        )
    return tuple(raw)


def _rules2_scoring(scoring: Mapping[str, Any], levels: tuple[Level, ...]) -> dict[str, float]:
    """The thresholds rules 2 adds under `scoring:`, each within the range it promises."""

    def share(key: str, lo: float, hi: float) -> float:
        value = parse_number(required(scoring, key, "scoring"), f"scoring.{key}")
        if not lo <= value <= hi:
            raise FrameworkError(f"scoring.{key}: must be between {lo:g} and {hi:g}")
        return value

    if [lv.min_score for lv in levels] != [
        (lv.level - 1) * kinds.POINTS_PER_LEVEL for lv in levels
    ]:
        raise FrameworkError(
            "scoring.levels: under scoring rules 2 level L starts at (L − 1) × 25 "
            "(0, 25, 50, 75, 100), the points of a level-L answer"
        )
    return {
        "min_scored_share": share("min_scored_share", 0.5, 1),
        "provisional_below": share("provisional_below", 0.75, 1),
        "max_not_applicable_share": share("max_not_applicable_share", 0, 0.5),
    }


def parse_framework(content: Mapping[str, Any]) -> Framework:
    """Validate content and return it as values. Raises FrameworkError with a location."""
    if not isinstance(content, Mapping):
        raise FrameworkError("the framework file must be a mapping at the top level")
    version = required(content, "version", "framework")
    if not isinstance(version, str) or not version.strip() or len(version) > 32:
        raise FrameworkError("framework.version: a non-empty string of at most 32 characters")
    rules = content.get("scoring_rules", 1)
    if rules not in SCORING_RULES or isinstance(rules, bool):
        raise FrameworkError(
            f"framework.scoring_rules: one of {', '.join(map(str, SCORING_RULES))}, got {rules!r}"
        )
    scoring = required(content, "scoring", "framework")
    share = parse_number(required(scoring, "min_known_share", "scoring"), "scoring.min_known_share")
    if share > 1 or (rules >= 2 and share < 0.5):
        raise FrameworkError(
            f"scoring.min_known_share: must be between {0.5 if rules >= 2 else 0:g} and 1"
        )
    levels = tuple(
        Level(
            level=int(required(lv, "level", f"scoring.levels[{i}]")),
            min_score=parse_number(required(lv, "min_score", f"scoring.levels[{i}]"), "min_score"),
            name=parse_text(
                required(lv, "name", f"scoring.levels[{i}]"), f"scoring.levels[{i}].name"
            ),
            description=parse_text(
                required(lv, "description", f"scoring.levels[{i}]"),
                f"scoring.levels[{i}].description",
            ),
        )
        for i, lv in enumerate(required(scoring, "levels", "scoring"))
    )
    if [lv.level for lv in levels] != [1, 2, 3, 4, 5] or levels[0].min_score != 0:
        raise FrameworkError("scoring.levels: levels 1..5 in order, the first with min_score 0")
    if any(a.min_score >= b.min_score for a, b in itertools.pairwise(levels)):
        raise FrameworkError("scoring.levels: min_score must rise with the level")
    rules2 = _rules2_scoring(scoring, levels) if rules >= 2 else {}

    def named(raw: Any, where: str) -> Named:
        return Named(
            code=str(required(raw, "code", where)),
            name=parse_text(required(raw, "name", where), f"{where}.name"),
            description=parse_opt_text(raw.get("description"), f"{where}.description"),
        )

    roles = tuple(
        named(r, f"value_roles[{i}]")
        for i, r in enumerate(required(content, "value_roles", "framework"))
    )
    chain = required(content, "value_chain", "framework")
    stages = tuple(named(s, f"value_chain.stages[{i}]") for i, s in enumerate(chain["stages"]))
    depths = tuple(
        parse_option(d, f"value_chain.depths[{i}]", label_key="name")
        for i, d in enumerate(required(chain, "depths", "value_chain"))
    )
    if rules >= 2:
        for i, depth in enumerate(depths):
            if depth.score % kinds.POINTS_PER_LEVEL:
                raise FrameworkError(
                    f"value_chain.depths[{i}].score: under scoring rules 2 a multiple of "
                    f"{kinds.POINTS_PER_LEVEL:g} (the points of a level)"
                )
    tiers = tuple(
        named(t, f"tiers[{i}]") for i, t in enumerate(required(content, "tiers", "framework"))
    )
    tier_codes = {t.code for t in tiers}
    references = _references(content.get("references"))
    ref_codes = {r.code for r in references}
    role_codes = {r.code for r in roles}
    stage_codes = {s.code for s in stages}
    depth_codes = {d.code for d in depths}

    shifts: list[Shift] = []
    seen: set[str] = set()
    for si, raw_shift in enumerate(required(content, "shifts", "framework")):
        scode = str(required(raw_shift, "code", f"shifts[{si}]"))
        where = f"shift {scode}"
        dims: list[Dimension] = []
        for di, raw_dim in enumerate(required(raw_shift, "dimensions", where)):
            dcode = str(required(raw_dim, "code", f"{where}.dimensions[{di}]"))
            dwhere = f"dimension {dcode}"
            if not dcode.startswith(scode + "."):
                raise FrameworkError(f"{dwhere}: code must start with '{scode}.'")
            role = required(raw_dim, "value_role", dwhere)
            if role not in role_codes:
                raise FrameworkError(f"{dwhere}: value_role '{role}' is not a value role")
            recs_raw = required(raw_dim, "recommendations", dwhere)
            if not isinstance(recs_raw, Mapping) or {int(k) for k in recs_raw} != {1, 2, 3, 4, 5}:
                raise FrameworkError(f"{dwhere}: recommendations need keys 1 to 5")
            recs = {
                int(k): parse_text(v, f"{dwhere}.recommendations[{k}]") for k, v in recs_raw.items()
            }
            items = tuple(
                _item(raw_item, f"{dwhere}.items[{ii}]", scode, dcode, depths, rules)
                for ii, raw_item in enumerate(required(raw_dim, "items", dwhere))
            )
            if not items:
                raise FrameworkError(f"{dwhere}: needs at least one item")
            if not any(i.scored for i in items):
                raise FrameworkError(f"{dwhere}: needs at least one scored item")
            for it in items:
                if it.code in seen:
                    raise FrameworkError(f"item {it.code}: code is used twice")
                seen.add(it.code)
                if it.value_chain_stage and it.value_chain_stage not in stage_codes:
                    raise FrameworkError(f"item {it.code}: unknown value_chain_stage")
            dims.append(
                Dimension(
                    code=dcode,
                    weight=parse_number(raw_dim.get("weight", 1), f"{dwhere}.weight", minimum=0.01),
                    value_role=role,
                    name=parse_text(required(raw_dim, "name", dwhere), f"{dwhere}.name"),
                    description=parse_text(
                        required(raw_dim, "description", dwhere), f"{dwhere}.description"
                    ),
                    recommendations=recs,
                    items=items,
                    shift_code=scode,
                    crosswalk=_crosswalk(raw_dim.get("crosswalk"), dwhere, ref_codes),
                    carried_from=_carried_from(raw_dim.get("carried_from"), dwhere),
                )
            )
        if not dims:
            raise FrameworkError(f"{where}: needs at least one dimension")
        if rules >= 2 and "weight" not in raw_shift:
            raise FrameworkError(f"{where}: under scoring rules 2 every shift states its weight")
        shifts.append(
            Shift(
                code=scode,
                weight=parse_number(raw_shift.get("weight", 1), f"{where}.weight", minimum=0.01),
                name=parse_text(required(raw_shift, "name", where), f"{where}.name"),
                purpose=parse_text(required(raw_shift, "purpose", where), f"{where}.purpose"),
                dimensions=tuple(dims),
            )
        )
    if not shifts:
        raise FrameworkError("framework: needs at least one shift")
    dim_codes = {d.code for s in shifts for d in s.dimensions}
    shift_codes = {s.code for s in shifts}

    rule_raw = required(content, "tier_rule", "framework")
    conditions: list[TierCondition] = []
    for ci, c in enumerate(required(rule_raw, "conditions", "tier_rule")):
        cwhere = f"tier_rule.conditions[{ci}]"
        kind = required(c, "kind", cwhere)
        if kind not in RULE_KINDS:
            raise FrameworkError(f"{cwhere}: kind must be one of {', '.join(RULE_KINDS)}")
        cond = TierCondition(
            code=str(required(c, "code", cwhere)),
            kind=kind,
            text=parse_text(required(c, "text", cwhere), f"{cwhere}.text"),
            depth=str(c.get("depth", "")),
            min_count=int(c.get("min_count", 0)),
            target=str(c.get("dimension") or c.get("shift") or ""),
            min_score=float(c.get("min_score", 0)),
        )
        if kind == "value_chain_stages" and cond.depth not in depth_codes:
            raise FrameworkError(f"{cwhere}: depth must be one of the value-chain depths")
        if kind == "dimension_min" and cond.target not in dim_codes:
            raise FrameworkError(f"{cwhere}: unknown dimension '{cond.target}'")
        if kind == "shift_min" and cond.target not in shift_codes:
            raise FrameworkError(f"{cwhere}: unknown shift '{cond.target}'")
        conditions.append(cond)
    not_yet = rule_raw.get("not_yet")
    if not_yet is not None and rules < 2:
        raise FrameworkError("tier_rule.not_yet: needs scoring_rules 2")
    if rules >= 2 and not isinstance(not_yet, Mapping):
        raise FrameworkError(
            "tier_rule.not_yet: under scoring rules 2 the rule names the tier of a company "
            "on neither path ({tier: ..., below_level: ...})"
        )
    rule = TierRule(
        target=str(required(rule_raw, "target", "tier_rule")),
        otherwise=str(required(rule_raw, "otherwise", "tier_rule")),
        min_met=int(required(rule_raw, "min_met", "tier_rule")),
        conditions=tuple(conditions),
        not_yet=str(required(not_yet, "tier", "tier_rule.not_yet")) if not_yet else "",
        not_yet_below_level=int(required(not_yet, "below_level", "tier_rule.not_yet"))
        if not_yet
        else 0,
    )
    if {rule.target, rule.otherwise} - tier_codes:
        raise FrameworkError("tier_rule: target and otherwise must be tier codes")
    if rule.not_yet and (
        rule.not_yet not in tier_codes
        or rule.not_yet in {rule.target, rule.otherwise}
        or not 2 <= rule.not_yet_below_level <= 5
    ):
        raise FrameworkError(
            "tier_rule.not_yet: a tier code of its own and below_level between 2 and 5"
        )
    if not 1 <= rule.min_met <= len(conditions):
        raise FrameworkError("tier_rule.min_met: between 1 and the number of conditions")

    fw = Framework(
        version=version.strip(),
        name=parse_text(required(content, "name", "framework"), "framework.name"),
        min_known_share=share,
        levels=levels,
        value_roles=roles,
        stages=stages,
        depths=depths,
        tiers=tiers,
        tier_rule=rule,
        shifts=tuple(shifts),
        scoring_rules=rules,
        min_scored_share=rules2.get("min_scored_share", 0.0),
        provisional_below=rules2.get("provisional_below", PROVISIONAL_BELOW_DEFAULT),
        max_not_applicable_share=rules2.get("max_not_applicable_share", 1.0),
        references=references,
    )
    object.__setattr__(fw, "_items", {i.code: i for i in fw.iter_items()})
    return fw


_CACHE: dict[tuple[str, str], Framework] = {}


def framework_cached(version: str, checksum: str) -> Framework | None:
    return _CACHE.get((version, checksum))


def framework_from_content(version: str, checksum: str, content: Mapping[str, Any]) -> Framework:
    """Parse once per (version, checksum) per process: a loaded version never changes."""
    key = (version, checksum)
    fw = _CACHE.get(key)
    if fw is None:
        fw = _CACHE[key] = parse_framework(content)
    return fw
