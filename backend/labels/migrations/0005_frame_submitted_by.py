"""Who sent each frame to review, for four-eyes review; backfilled from the history."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    LabeledFrame = apps.get_model("labels", "LabeledFrame")
    LabelHistory = apps.get_model("labels", "LabelHistory")
    last_submitter = (
        LabelHistory.objects.filter(labeled_frame=OuterRef("pk"), action__in=["submit", "reopen"])
        .order_by("-id")
        .values("user")[:1]
    )
    LabeledFrame.objects.exclude(submitted_at=None).update(submitted_by=Subquery(last_submitter))


class Migration(migrations.Migration):
    dependencies = [
        ("labels", "0004_pick_job_lifecycle"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="labeledframe",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
