"""What the review workflow announces, for higher apps to act on (e-mail the issuer's lead,
the cohort's reviewers). `assessments` sits below `cohorts` and may not import it, so
it sends these and never knows who listens.

Each is sent once the transition is committed (never for a rolled-back one), with
`sender=Assessment` and the keyword arguments `assessment_id` and `change_id` (the
`StatusChange` row: one transition, so a listener can key its work on it and stay
idempotent).
"""

from __future__ import annotations

from django.dispatch import Signal

# A reviewer returned a submitted assessment to the issuer for changes.
assessment_returned = Signal()
# The issuer submitted again after a return.
assessment_resubmitted = Signal()
# A reviewer approved a submitted assessment.
assessment_approved = Signal()
