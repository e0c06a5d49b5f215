"""All sections of one result, as the results page and the report read them."""

from __future__ import annotations

from functools import cached_property

from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from assessments import selectors
from assessments.framework import Framework
from assessments.models import ScoreSnapshot

from .. import charts
from .changes import Changes, changes_section
from .crosswalk import Crosswalk, crosswalk_section
from .evidence import EvidenceBlock, evidence_section
from .kpis import Kpis, kpis_section
from .method import Method, method_section
from .peers import GroupView, Peers, peers_section
from .positions import Position, positions_section
from .priorities import Priority, priorities_section
from .scores import Scores, scores_section
from .shifts import ShiftSection, shift_sections


class ResultContent:
    """One snapshot's result in `language`, section by section.

    Each section is built on first use (and once), so a page pays only for what it shows:
    the results page never reads the evidence notes, which load every answer. A section is
    built in `language` whatever language is active when a template first reads it.
    """

    def __init__(
        self, *, snapshot: ScoreSnapshot, language: str, compared_with: ScoreSnapshot | None
    ) -> None:
        self.snapshot = snapshot
        # The earlier snapshot the "change since" section compares with: only what the
        # reader may see (a report stores it, so a file never shows more than its reader).
        self.compared_with = compared_with
        self.assessment = snapshot.assessment
        self.language = language
        # A snapshot is always scored on its assessment's framework version.
        self.framework: Framework = selectors.framework_of(self.assessment.framework)

    @cached_property
    def scores(self) -> Scores:
        with translation.override(self.language):
            return scores_section(snapshot=self.snapshot, fw=self.framework, language=self.language)

    @cached_property
    def peers(self) -> Peers:
        with translation.override(self.language):
            return peers_section(snapshot=self.snapshot)

    @cached_property
    def positions(self) -> list[Position]:
        with translation.override(self.language):
            return positions_section(scores=self.scores, peers=self.peers)

    @cached_property
    def radar(self) -> SafeString:
        """The scores by shift against the primary group's medians: the report's chart."""
        primary = self.peers.primary
        with translation.override(self.language):
            return charts.radar(
                [
                    (s["name"], s["score"], _peer_median(primary, s["code"]))
                    for s in self.scores.result["shifts"]
                ],
                label=_("Scores by shift"),
                mine_label=_("Your scores"),
                peer_label=_("Peer median"),
            )

    @cached_property
    def shifts(self) -> list[ShiftSection]:
        return shift_sections(
            scores=self.scores, peers=self.peers, fw=self.framework, language=self.language
        )

    @cached_property
    def priorities(self) -> list[Priority]:
        return priorities_section(scores=self.scores, fw=self.framework, language=self.language)

    @cached_property
    def previous(self) -> ScoreSnapshot | None:
        """What "change since" compares with (changes and key figures alike): one query."""
        return self.compared_with

    @cached_property
    def changes(self) -> Changes | None:
        return changes_section(
            snapshot=self.snapshot,
            previous=self.previous,
            fw=self.framework,
            language=self.language,
        )

    @cached_property
    def kpis(self) -> Kpis:
        return kpis_section(
            snapshot=self.snapshot,
            previous=self.previous,
            peers=self.peers,
            fw=self.framework,
            language=self.language,
        )

    @cached_property
    def evidence(self) -> list[EvidenceBlock]:
        with translation.override(self.language):
            return evidence_section(
                assessment=self.assessment, fw=self.framework, language=self.language
            )

    @cached_property
    def method(self) -> Method:
        return method_section(fw=self.framework, language=self.language)

    @cached_property
    def crosswalk(self) -> Crosswalk:
        return crosswalk_section(fw=self.framework, language=self.language)


def _peer_median(group: GroupView | None, shift: str) -> float | None:
    stat = group.shifts.get(shift) if group else None
    return stat.median if stat else None
