from collections import defaultdict

from django.db import migrations

KPI = "kpi:"  # reports.releases.KPI


def backfill(apps, schema_editor):
    """Releases published before snapshots froze key figures get them now, from the very
    snapshots they list as members: membership and scores stay as published, so nothing
    moves but the key figures appear (at once, rather than after the next 5 changes)."""
    PeerRelease = apps.get_model("reports", "PeerRelease")
    ScoreSnapshot = apps.get_model("assessments", "ScoreSnapshot")
    for release in PeerRelease.objects.only("pk", "members", "scores").iterator(chunk_size=200):
        snapshot_ids = [int(pk) for pk in (release.members or {}).values()]
        measures = defaultdict(list)
        for issuer_id, kpis in ScoreSnapshot.objects.filter(pk__in=snapshot_ids).values_list(
            "issuer_id", "kpis"
        ):
            for code, value in (kpis or {}).items():
                if value is not None:
                    measures[f"{KPI}{code}"].append([float(value), issuer_id])
        if not measures:
            continue
        scores = {k: v for k, v in (release.scores or {}).items() if not k.startswith(KPI)}
        scores.update({k: sorted(v) for k, v in measures.items()})
        PeerRelease.objects.filter(pk=release.pk).update(scores=scores)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0008_snapshot_kpis"),
        ("reports", "0003_report_compared_with"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
