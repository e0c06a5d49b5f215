from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def backfill(apps, schema_editor):
    ScoreSnapshot = apps.get_model("assessments", "ScoreSnapshot")
    Assessment = apps.get_model("assessments", "Assessment")
    ScoreSnapshot.objects.update(
        issuer_id=Subquery(Assessment.objects.filter(pk=OuterRef("assessment_id")).values("issuer_id")[:1])
    )
    latest: dict[int, int] = {}
    for pk, issuer_id in ScoreSnapshot.objects.order_by("created_at", "pk").values_list("pk", "issuer_id"):
        latest[issuer_id] = pk
    ScoreSnapshot.objects.filter(pk__in=latest.values()).update(is_current=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("assessments", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="issuer",
            field=models.ForeignKey(
                null=True, on_delete=models.deletion.PROTECT, related_name="snapshots", to="accounts.issuer"
            ),
        ),
        migrations.AddField(
            model_name="scoresnapshot",
            name="is_current",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="scoresnapshot",
            name="issuer",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT, related_name="snapshots", to="accounts.issuer"
            ),
        ),
        migrations.AddConstraint(
            model_name="scoresnapshot",
            constraint=models.UniqueConstraint(
                condition=Q(is_current=True), fields=("issuer",), name="snapshot_one_current_per_issuer"
            ),
        ),
        migrations.AddIndex(
            model_name="scoresnapshot",
            index=models.Index(fields=["is_current", "issuer"], name="snapshot_current_issuer"),
        ),
    ]
