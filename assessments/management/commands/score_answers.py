"""Score a set of answers without the web app, for analysts and tests.

    python manage.py score_answers --answers FILE.json [--framework VERSION]

FILE is a JSON object mapping item codes to answers: a level 1–5 (maturity items), a
choice code (choice items), a number (figure items), "dont_know", or "na" (only on items
the framework marks as possibly not applicable). Prints the scores as JSON. A bad file or
an unknown version is a CommandError (exit code 2) naming the item, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from assessments import kinds
from assessments.framework import Framework
from assessments.models import FrameworkVersion
from assessments.scoring import AnswerValue, ScoreResult, score
from assessments.selectors import framework_latest, framework_of

EXIT_BAD_INPUT = 2


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_BAD_INPUT)


def read_answers(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot be read ({exc}).") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: not JSON ({exc.msg}, line {exc.lineno}).") from None


def parse_answers(fw: Framework, raw: Any) -> dict[str, AnswerValue]:
    """The file's answers as values, or a CommandError listing every bad entry by item."""
    if not isinstance(raw, dict):
        raise _fail(
            "The answers file must be a JSON object mapping item codes to answers, "
            f"not {type(raw).__name__ if raw is not None else 'null'}."
        )
    errors: list[str] = []
    answers: dict[str, AnswerValue] = {}
    for code, value in raw.items():
        item = fw.items.get(code)
        if item is None:
            errors.append(f"{code}: not an item of framework {fw.version}.")
            continue
        if value == "dont_know":
            answers[code] = AnswerValue(dont_know=True)
            continue
        if value == kinds.NOT_APPLICABLE:
            if not item.not_applicable:
                errors.append(
                    f'{code}: "na" is not allowed: framework {fw.version} does not mark this '
                    "item as possibly not applicable."
                )
            else:
                answers[code] = AnswerValue(not_applicable=True)
            continue
        try:
            answers[code] = AnswerValue(**kinds.of(item).from_json(item, value))
        except ValueError as exc:
            errors.append(f"{code} ({item.kind}): {exc}.")
    if errors:
        raise _fail("The answers file has errors:\n  " + "\n  ".join(errors))
    return answers


def _part(known_share: float, **values: Any) -> dict[str, Any]:
    return {**values, "completeness": round(known_share, 4)}


def result_json(result: ScoreResult) -> dict[str, Any]:
    return {
        "framework": result.framework_version,
        "scoring_rules": result.scoring_rules,
        "overall": result.overall,
        "level": result.level,
        "provisional": result.provisional,
        "completeness": result.known_share,
        "answered_percent": result.completeness.percent,
        "tier": result.tier,
        "shifts": [
            _part(
                s.known_share,
                code=s.code,
                score=s.score,
                level=s.level,
                scored_share=s.scored_share,
                note=s.note,
            )
            for s in result.shifts
        ],
        "dimensions": [
            _part(d.known_share, code=d.code, score=d.score, level=d.level, note=d.note)
            for d in result.dimensions
        ],
    }


class Command(BaseCommand):
    help = (
        "Score a JSON file of answers (item code → level 1–5, choice code, number, "
        '"dont_know" or "na") and print the scores as JSON.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--answers", required=True, help="the JSON answers file")
        parser.add_argument(
            "--framework", dest="fw_version", help="framework version (default: the latest loaded)"
        )

    def handle(self, *args: Any, answers: str, fw_version: str | None, **options: Any) -> None:
        raw = read_answers(Path(answers))  # before any query: a bad file fails on its own
        try:
            fw = self._framework(fw_version)
        except DatabaseError as exc:
            raise _fail(
                f"The database is not ready ({exc}); run `manage.py migrate` and "
                "`manage.py load_framework` first."
            ) from None
        values = parse_answers(fw, raw)
        out = result_json(score(fw, values))
        self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))

    def _framework(self, fw_version: str | None) -> Framework:
        if fw_version:
            row = FrameworkVersion.objects.defer("content").filter(version=fw_version).first()
            if row is None:
                loaded = ", ".join(FrameworkVersion.objects.values_list("version", flat=True))
                raise _fail(
                    f"Framework version {fw_version!r} is not loaded (loaded: {loaded or 'none'})."
                )
        else:
            row = framework_latest()
            if row is None:
                raise _fail("No framework is loaded; run `manage.py load_framework` first.")
        return framework_of(row)
