from django.db import migrations, models


def backfill(apps, schema_editor):
    """Copy each existing snapshot's SHIFT components into its shift_scores."""
    ScoreSnapshot = apps.get_model("assessments", "ScoreSnapshot")
    ScoreComponent = apps.get_model("assessments", "ScoreComponent")
    scores: dict[int, dict[str, float | None]] = {}
    rows = ScoreComponent.objects.filter(kind="shift").values_list("snapshot_id", "code", "score")
    for snapshot_id, code, score in rows.iterator(chunk_size=5000):
        scores.setdefault(snapshot_id, {})[code] = None if score is None else float(score)
    batch = []
    for snapshot_id, shifts in scores.items():
        batch.append(ScoreSnapshot(pk=snapshot_id, shift_scores=shifts))
        if len(batch) == 1000:
            ScoreSnapshot.objects.bulk_update(batch, ["shift_scores"])
            batch = []
    ScoreSnapshot.objects.bulk_update(batch, ["shift_scores"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_answer_choice_given"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="shift_scores",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
