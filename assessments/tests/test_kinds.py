"""The item-kind registry (assessments/kinds.py) and the "New question type" recipe.

`Percentage`, a toy kind that exists only in this file, is registered for one test and
walked through everything a question type touches: parsed from a framework file, shown
on the real step page, saved through the real view and services, scored, put into words
and exported. If any of those stops asking the item's kind, this test fails.
"""

from __future__ import annotations

import ast
import copy
import json
import random
from collections.abc import Iterator, Mapping
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.management import call_command
from django.db import connection
from django.db.models import CheckConstraint, Q
from django.urls import reverse

from assessments import kinds, presenters, scoring, selectors, services
from assessments.controls import esc
from assessments.framework import FrameworkError, ItemDef, Option, Text, parse_framework
from assessments.models import Answer, Item
from cohorts import exports
from conftest import write_framework
from devdata import demo

from .factories import CohortFactory, client_for, lead

ROOT = Path(__file__).resolve().parents[2]


class Percentage(kinds.ItemKind):
    """A share from 0 to 100 % that scores itself: 40 % of staff trained scores 40."""

    code = "percentage"
    label = "Percentage"
    fields = ("number",)

    def parse(
        self, raw: Mapping[str, Any], *, where: str, weight: float, depths: tuple[Option, ...]
    ) -> dict[str, Any]:
        # Its own key: what the share is of ("of staff"), kept in ItemDef.unit.
        of = raw.get("of")
        if of is None:
            raise FrameworkError(f"{where}: a percentage item needs 'of'")
        return {
            "unit": Text(en=of["en"], zh=of["zh-hant"]),
            "min_value": Decimal(0),
            "max_value": Decimal(100),
        }

    def export(self, item: ItemDef) -> dict[str, Any]:
        assert item.unit is not None
        return {"of": item.unit.as_dict()}

    def points(self, item: ItemDef, value: kinds.StoredValue) -> float | None:
        return None if value.number is None else float(value.number)

    def answer_code(self, item: ItemDef, value: kinds.StoredValue) -> str:
        return "" if value.number is None else format(value.number.normalize(), "f")

    def form_fields(self, item: ItemDef, answer: Any, lang: str) -> dict[str, forms.Field]:
        initial = answer.number.normalize() if answer and answer.number is not None else None
        return {
            "value": forms.DecimalField(
                label=item.text.get(lang),
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=0,
                initial=initial,
            )
        }

    def from_form(self, value: Any, dont_know: bool) -> dict[str, Any]:
        return {"number": value}

    def markup(self, row: Any, lang: str | None) -> str:
        value = row.value
        return (
            f'<input type="number" class="form-control percentage" name="{value.html_name}" '
            f'id="{value.id_for_label}" value="{esc(value.value())}" min="0" max="100"> %'
        )

    def answer_text(self, item: ItemDef, answer: kinds.StoredValue, lang: str | None) -> str | None:
        if answer.number is None or item.unit is None:
            return None
        return f"{answer.number.normalize():f} % {item.unit.get(lang)}"

    def synthetic(
        self, item: ItemDef, *, centre: float, rng: random.Random
    ) -> dict[str, Any] | None:
        return {"number": Decimal(round(centre * 20))}


CODE = "profit.core_processes.staff_share"
QUESTION = {"en": "What share of staff uses AI weekly?", "zh-hant": "多少員工每週使用AI？"}


def toy_content(v1_content: dict[str, Any], **item: Any) -> dict[str, Any]:
    """v1 with one percentage item added to the first dimension."""
    content = copy.deepcopy(v1_content)
    content["version"] = "test-percentage"
    dimension = content["shifts"][0]["dimensions"][0]
    assert dimension["code"] == "profit.core_processes"
    dimension["items"].append(
        {
            "code": CODE,
            "kind": "percentage",
            "weight": 2,
            "mandatory": False,
            "text": {
                "en": "What share of staff uses AI weekly?",
                "zh-hant": "多少員工每週使用AI？",
            },
            "of": {"en": "of staff", "zh-hant": "員工"},
            **item,
        }
    )
    return content


@pytest.fixture
def percentage(db) -> Iterator[kinds.ItemKind]:
    """The toy kind registered, and the database told about it as the migration of a real
    new kind would (Item.kind's check constraint lists the kinds), for this test only."""
    with kinds.registered(Percentage()) as kind:
        if connection.vendor == "postgresql":
            # Transactional DDL: undone with the test's transaction.
            old = next(c for c in Item._meta.constraints if c.name == "item_kind_valid")
            new = CheckConstraint(condition=Q(kind__in=kinds.codes()), name="item_kind_valid")
            with connection.schema_editor() as editor:
                editor.remove_constraint(Item, old)
                editor.add_constraint(Item, new)
            yield kind
        else:
            # SQLite rebuilds a table to change a constraint, which it cannot do inside
            # the test's transaction; it can stop checking instead.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                yield kind
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_a_new_kind_goes_through_parse_form_save_score_words_and_export(
    percentage, tmp_path, v1_content
):
    # Parse: the framework file names the kind, the kind reads its own key.
    version, _ = services.framework_load(path=write_framework(tmp_path, toy_content(v1_content)))
    fw = selectors.framework_of(version)
    item = fw.items[CODE]
    assert (item.kind, item.scored, item.unit) == ("percentage", True, Text("of staff", "員工"))
    assert Item.objects.get(framework=version, code=CODE).kind == "percentage"
    with pytest.raises(FrameworkError, match=f"item {CODE}: a percentage item needs 'of'"):
        parse_framework(toy_content(v1_content, of=None))

    # Form and markup: the real step page shows the kind's own control.
    user = lead()
    user.issuer.profile_confirmed_at = user.issuer.created_at
    user.issuer.save()
    assessment = services.assessment_start(user=user, framework=version)
    step = reverse("assessments:step", args=[assessment.pk, "profit"])
    client = client_for(user)
    page = client.get(step).content.decode()
    assert f'class="form-control percentage" name="{CODE}__value"' in page

    # Save: through the step view, StepForm and answers_save.
    data = {
        f"{i.code}__{part}": "0" if part == "base" else ""
        for i in fw.shift("profit").items
        for part in ("base", "note", "confidence")
    }
    data[f"{CODE}__value"] = "40"
    assert client.post(step, data).status_code == 302
    answer = Answer.objects.select_related("item").get(assessment=assessment, item__code=CODE)
    assert (answer.number, answer.level, answer.choice, answer.dont_know) == (40, None, "", False)
    page = client.get(step).content.decode()
    assert f'name="{CODE}__value" id="id_{CODE}__value" value="40" min="0"' in page

    # Score: 40 % scores 40, with weight 2, in its dimension.
    result = scoring.score(fw, selectors.answer_values(selectors.answers_of(assessment).values()))
    dimension = result.dimension("profit.core_processes")
    contribution = next(c for c in dimension.contributions if c.code == CODE)
    assert (contribution.score, contribution.weight, contribution.answer) == (40.0, 2.0, "40")

    # Words: the answer text on the review page and in the results' explanation.
    assert presenters.answer_text(item, answer, "en") == "40 % of staff"
    review = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    assert "40 % of staff" in review
    shown = presenters.results(fw, result.as_dict(), "en")["shifts"][0]["dimensions"][0]
    assert {"text": item.text.en, "answer": "40", "score": 40.0, "weight": 2.0} in shown[
        "contributions"
    ]

    # Export: export_framework prints the kind's own key; the cohort answer export has the
    # answer in the column of the kind's stored field.
    out = StringIO()
    call_command("export_framework", "--framework-version", version.version, stdout=out)
    exported = json.loads(out.getvalue())
    items = [i for s in exported["shifts"] for d in s["dimensions"] for i in d["items"]]
    assert next(i for i in items if i["code"] == CODE) == {
        "code": CODE,
        "kind": "percentage",
        "text": QUESTION,
        "weight": 2.0,
        "mandatory": False,
        "of": {"en": "of staff", "zh-hant": "員工"},
    }
    assessment.cohort = CohortFactory(framework=version)
    assessment.save()
    header, *rows = exports.rows_for("answers", assessment.cohort, "en")
    row = next(r for r in rows if r[header.index("Question code")] == CODE)
    assert row[header.index("Figure")] == 40.0
    assert row[header.index("Answer")] == "40 % of staff"  # the kind's own words

    # Synthetic data: the generators ask the kind too.
    profile = demo.Profile(base=2.0, bias={}, dont_know_rate=0.0)
    assert demo.synthetic_answer(item, profile, random.Random(1)) == scoring.AnswerValue(
        number=Decimal(40)
    )


def test_a_kind_is_known_only_while_registered(v1_content):
    content = toy_content(v1_content)
    with pytest.raises(FrameworkError, match=r"kind must be one of maturity, choice, figure$"):
        parse_framework(content)
    with kinds.registered(Percentage()):
        assert kinds.codes() == ["maturity", "choice", "figure", "percentage"]
        assert parse_framework(content).items[CODE].kind == "percentage"
    assert kinds.get("percentage") is None


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"code": "a" * 17}, "1 to 16 characters"),
        ({"code": "figure"}, "already registered"),
        ({"fields": ("text",)}, "fields must be among"),
        ({"fields": ()}, "fields must be among"),
    ],
)
def test_register_refuses_what_the_database_cannot_hold(attrs, message):
    toy = type("Toy", (Percentage,), attrs)()
    with pytest.raises(ValueError, match=message):
        kinds.register(toy)
    assert "percentage" not in kinds.codes()


def test_the_kinds_share_the_answer_columns_of_the_cohort_export():
    assert [name for name, _label in kinds.value_columns()] == ["level", "choice", "number"]
    assert {kind.code: kind.fields for kind in map(kinds.get, kinds.codes()) if kind} == {
        "maturity": ("level",),
        "choice": ("choice",),
        "figure": ("number",),
    }


# --- the rule: outside kinds.py, nobody compares an item's kind with a name ----------------

SKIP = {".venv", "node_modules", "staticfiles", "migrations", "tests", ".work"}


def _source_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP or path.name == "conftest.py" or path == ROOT / "assessments/kinds.py":
            continue
        yield path


def _names_a_kind(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in names
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_kind(e, names) for e in node.elts)
    return False


def kind_name_uses(source: str, names: set[str]) -> list[int]:
    """Lines comparing something with a kind's name (==, !=, in) or filtering on one
    (`kind="figure"`, `item__kind="figure"`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            _names_a_kind(operand, names) for operand in (node.left, *node.comparators)
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Call):
            lines.extend(
                k.value.lineno
                for k in node.keywords
                if k.arg and k.arg.endswith("kind") and _names_a_kind(k.value, names)
            )
    return lines


def test_the_rule_catches_what_it_is_meant_to_catch():
    names = {"maturity", "figure"}
    assert kind_name_uses('if item.kind == "figure": pass', names) == [1]
    assert kind_name_uses('x = kind in ("maturity", "choice")', names) == [1]
    assert kind_name_uses('q.filter(\n  item__kind="figure")', names) == [2]
    assert kind_name_uses('if kinds.of(item).scored: pass\nx = "figure"', names) == []


def test_no_module_outside_kinds_py_compares_an_item_kind_with_its_name():
    names = set(kinds.codes())
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _source_files()
        for line in kind_name_uses(path.read_text(encoding="utf-8"), names)
    ]
    assert not found, (
        "ask the item's kind (assessments/kinds.py) instead of comparing its name: "
        + ", ".join(found)
    )


@pytest.mark.parametrize(
    ("number", "unit", "words"),
    [
        ("25.9", "% of revenue", "25.9% of revenue"),
        ("25.9", "佔收入百分比", "佔收入 25.9%"),
        ("3.0", "% change", "3.0% change"),
        ("3.0", "變動百分比", "變動 3.0%"),
        ("4", "use cases", "4 use cases"),
        ("4", "個應用場景", "4 個應用場景"),
    ],
)
def test_a_figure_reads_as_each_language_writes_it(number, unit, words):
    """It read "25.9 佔收入百分比": a number followed by the unit's label."""
    assert kinds.figure_text(number, unit) == words


def test_a_figure_answer_is_put_into_words_with_its_unit(framework):
    from types import SimpleNamespace

    fw = selectors.framework_of(framework)
    item = next(i for i in fw.iter_items() if i.unit and i.unit.en == "% of revenue")
    answer = SimpleNamespace(number=Decimal("25.9"), dont_know=False, not_applicable=False)
    kind = kinds.of(item)
    assert kind.answer_text(item, answer, "zh-hant") == "佔收入 25.9%"
    assert kind.answer_text(item, answer, "en") == "25.9% of revenue"
