from collections import defaultdict

from django.db import migrations, models

BATCH = 2000


def _as_of(answer, revisions, at):
    """An answer's number as it stood when the snapshot was taken: the answer itself unless
    it changed afterwards (a returned assessment edited and resubmitted), else its latest
    applied revision from before."""
    if answer.updated_at is None or answer.updated_at <= at:
        return None if answer.dont_know else answer.number
    earlier = [r for r in revisions.get(answer.pk, ()) if r.created_at <= at]
    if not earlier:
        return None
    latest = max(earlier, key=lambda r: (r.created_at, r.version))
    return None if latest.dont_know else latest.number


def backfill(apps, schema_editor):
    """Freeze the key figures of existing snapshots from their assessment's answers.

    At the time of this migration the figure kind is the only kind whose answers are key
    figures (assessments/kinds.py, `kpi`); its value is the answer's number.
    """
    ScoreSnapshot = apps.get_model("assessments", "ScoreSnapshot")
    Answer = apps.get_model("assessments", "Answer")
    AnswerRevision = apps.get_model("assessments", "AnswerRevision")
    ids = list(ScoreSnapshot.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        snapshots = list(
            ScoreSnapshot.objects.filter(pk__in=ids[start : start + BATCH]).only(
                "pk", "assessment_id", "created_at"
            )
        )
        answers = defaultdict(list)
        for answer in Answer.objects.filter(
            assessment_id__in={s.assessment_id for s in snapshots}, item__kind="figure"
        ).select_related("item"):
            answers[answer.assessment_id].append(answer)
        changed_later = [
            a.pk
            for s in snapshots
            for a in answers[s.assessment_id]
            if a.updated_at is not None and a.updated_at > s.created_at
        ]
        revisions = defaultdict(list)
        for revision in AnswerRevision.objects.filter(answer_id__in=changed_later, applied=True):
            revisions[revision.answer_id].append(revision)
        for snapshot in snapshots:
            kpis = {}
            for answer in answers[snapshot.assessment_id]:
                number = _as_of(answer, revisions, snapshot.created_at)
                if number is not None:
                    kpis[answer.item.code] = float(number)
            if kpis:
                ScoreSnapshot.objects.filter(pk=snapshot.pk).update(kpis=kpis)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_snapshot_peer_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="kpis",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
