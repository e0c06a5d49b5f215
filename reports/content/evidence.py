"""Evidence notes: the notes respondents recorded to support their answers, by shift."""

from __future__ import annotations

from dataclasses import dataclass

from assessments import presenters, selectors
from assessments.framework import Framework
from assessments.models import Assessment, Confidence


@dataclass(frozen=True)
class EvidenceNote:
    text: str
    answer: str
    note: str
    confidence: str


@dataclass(frozen=True)
class EvidenceBlock:
    shift: str
    items: list[EvidenceNote]


def evidence_section(
    *, assessment: Assessment, fw: Framework, language: str
) -> list[EvidenceBlock]:
    """Shifts without any note are left out. One query (the answers)."""
    answers = selectors.answers_of(assessment)
    confidence_names = dict(Confidence.choices)
    blocks = [
        EvidenceBlock(
            shift=shift.name.get(language),
            items=[
                EvidenceNote(
                    text=item.text.get(language),
                    answer=presenters.answer_text(
                        item, a if a and a.is_answered else None, language
                    ),
                    note=a.note if a else "",
                    confidence=str(confidence_names.get(a.confidence, "")) if a else "",
                )
                for item in shift.items
                if (a := answers.get(item.code)) is not None and a.note
            ],
        )
        for shift in fw.shifts
    ]
    return [block for block in blocks if block.items]
