"""What a result says, one module per section.

Each section is a builder (keyword-only, typed) returning a small dataclass; every rule
about what a result says (the primary peer group and group names, strengths and gaps, the
strongest and weakest shift, priorities, the change since last time) lives in exactly one
builder. `ResultContent` puts the sections together for one snapshot in one language; the
results page (`reports.views.results`) and the report (`report_context`, for the HTML view
and the PDF) both read it, so a section added here is available to both.
"""

from .changes import (
    Change,
    Changes,
    changes_section,
    previous_snapshot,
    previous_snapshot_ref,
)
from .crosswalk import Crosswalk, CrosswalkLine, crosswalk_section
from .evidence import EvidenceBlock, EvidenceNote, evidence_section
from .kpis import Kpi, KpiPeer, Kpis, kpis_section
from .method import DisclosureRules, Method, disclosure_rules, method_section
from .peers import GroupView, Peers, group_name, peers_section
from .priorities import Priority, priorities_section
from .published import PublishedFramework, published_framework
from .report import report_context
from .result import ResultContent
from .scores import Scores, scores_section
from .shifts import ShiftSection, shift_sections

__all__ = [
    "Change",
    "Changes",
    "Crosswalk",
    "CrosswalkLine",
    "DisclosureRules",
    "EvidenceBlock",
    "EvidenceNote",
    "GroupView",
    "Kpi",
    "KpiPeer",
    "Kpis",
    "Method",
    "Peers",
    "Priority",
    "PublishedFramework",
    "ResultContent",
    "Scores",
    "ShiftSection",
    "changes_section",
    "crosswalk_section",
    "disclosure_rules",
    "evidence_section",
    "group_name",
    "kpis_section",
    "method_section",
    "peers_section",
    "previous_snapshot",
    "previous_snapshot_ref",
    "priorities_section",
    "published_framework",
    "report_context",
    "scores_section",
    "shift_sections",
]
