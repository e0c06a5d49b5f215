from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from accounts.models import Board, Industry, MarketCapBand


def backfill(apps, schema_editor):
    """Earlier snapshots take the issuer's attributes as they are now: the best record
    there is of them at submission."""
    ScoreSnapshot = apps.get_model("assessments", "ScoreSnapshot")
    Issuer = apps.get_model("accounts", "Issuer")
    issuer = Issuer.objects.filter(pk=OuterRef("issuer_id"))
    ScoreSnapshot.objects.update(
        industry=Subquery(issuer.values("industry")[:1]),
        market_cap_band=Subquery(issuer.values("market_cap_band")[:1]),
        board=Subquery(issuer.values("board")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_issuer_bands_optional"),
        ("assessments", "0006_snapshot_shift_scores"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoresnapshot",
            name="industry",
            field=models.CharField(
                blank=True,
                choices=Industry.choices,
                db_default="",
                max_length=32,
                verbose_name="industry",
            ),
        ),
        migrations.AddField(
            model_name="scoresnapshot",
            name="market_cap_band",
            field=models.CharField(
                blank=True,
                choices=MarketCapBand.choices,
                db_default="",
                max_length=16,
                verbose_name="market capitalisation",
            ),
        ),
        migrations.AddField(
            model_name="scoresnapshot",
            name="board",
            field=models.CharField(
                blank=True, choices=Board.choices, db_default="", max_length=8, verbose_name="board"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
