from django.db import migrations


def retire_releases_with_provisional_members(apps, schema_editor):
    """A provisional result counts in no peer statistic. Releases published before results
    were labelled may hold some: they stop being the latest, and the next look at a group
    (or the periodic publication) publishes it afresh from the results that count."""
    snapshot = apps.get_model("assessments", "ScoreSnapshot")
    release = apps.get_model("reports", "PeerRelease")
    provisional = set(snapshot.objects.filter(provisional=True).values_list("pk", flat=True))
    if not provisional:
        return
    stale = [
        pk
        for pk, members in release.objects.filter(is_latest=True).values_list("pk", "members")
        if provisional & set((members or {}).values())
    ]
    release.objects.filter(pk__in=stale).update(is_latest=False)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_answer_not_applicable_snapshot_provisional"),
        ("reports", "0004_release_kpis"),
    ]

    operations = [
        migrations.RunPython(retire_releases_with_provisional_members, migrations.RunPython.noop)
    ]
