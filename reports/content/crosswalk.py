"""The crosswalk: where each dimension meets what a Hong Kong listed company is asked about
(the PCPD's AI model framework, ISO/IEC 42001, the NIST AI RMF, the HKEX codes), as the
framework version states it (`crosswalk` and `references`, frameworks/SCHEMA.md)."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.framework import Framework


@dataclass(frozen=True)
class CrosswalkLine:
    document: str  # the reference's short name
    where: str  # clause, area or function; "" when the document is named without one


@dataclass(frozen=True)
class Crosswalk:
    by_dimension: dict[str, list[CrosswalkLine]]  # dimension code → lines, in file order
    references: list[str]  # every cited document in full, in file order

    def __bool__(self) -> bool:
        return bool(self.by_dimension)


def crosswalk_section(*, fw: Framework, language: str) -> Crosswalk:
    """Empty (falsy) for a version without a crosswalk (2026.1 and 2026.2)."""
    refs = {r.code: r for r in fw.references}
    return Crosswalk(
        by_dimension={
            d.code: [
                CrosswalkLine(
                    document=refs[c.ref].label(language),
                    where=c.where.get(language) if c.where else "",
                )
                for c in d.crosswalk
            ]
            for d in fw.dimensions
            if d.crosswalk
        },
        references=[r.name.get(language) for r in fw.references],
    )
